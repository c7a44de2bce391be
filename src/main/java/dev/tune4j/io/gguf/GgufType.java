package dev.tune4j.io.gguf;

/**
 * The metadata value types of GGUF ({@code gguf_metadata_value_type} in ggml's docs/gguf.md), by
 * their id on disk. In Java every integer type is carried as a {@link Long} (UINT64 above 2^63-1
 * as its two's complement), FLOAT32 as a {@link Float}, FLOAT64 as a {@link Double}, BOOL as a
 * {@link Boolean}, STRING as a {@link String} and ARRAY as a {@link GgufArray}.
 */
public enum GgufType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    public final int id;
    /** Bytes of one value on disk; -1 for the variable-length STRING and ARRAY. */
    public final int size;

    GgufType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The type with this on-disk id, or null when the spec defines none. */
    public static GgufType byId(long id) {
        for (GgufType t : values()) if (t.id == id) return t;
        return null;
    }

    boolean isInteger() {
        return this != FLOAT32 && this != FLOAT64 && this != BOOL && this != STRING && this != ARRAY;
    }

    /** Whether {@code v} fits this integer type ({@code v} as Java carries it: see the class comment). */
    boolean fits(long v) {
        return switch (this) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            case UINT64, INT64 -> true;
            default -> false;
        };
    }
}
