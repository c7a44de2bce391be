package dev.tune4j.io.gguf;

/**
 * The tensor data types tune4j writes and reads ({@code ggml_type} in ggml's docs/gguf.md, by id):
 * a row of {@code ne[0]} elements is stored as {@code ne[0] / blockSize} blocks of
 * {@code blockBytes} bytes each.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** Blocks of 32: an f16 scale d, then 32 int8 q; x = d * q (see {@link Q8_0Codec}). */
    Q8_0(8, Q8_0Codec.BLOCK, Q8_0Codec.BLOCK_BYTES),
    BF16(30, 1, 2);

    public final int id;
    public final int blockSize;
    public final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The type with this on-disk id, or null when it is not one tune4j handles. */
    public static GgmlType byId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /** Whether rows of {@code rowLength} elements can be stored in this type (whole blocks only). */
    public boolean fitsRow(long rowLength) {
        return rowLength % blockSize == 0;
    }

    /** Bytes a tensor of {@code numel} elements takes (its rows must fit, see {@link #fitsRow}). */
    public long bytes(long numel) {
        return numel / blockSize * blockBytes;
    }
}
