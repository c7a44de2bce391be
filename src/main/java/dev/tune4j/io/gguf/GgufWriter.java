package dev.tune4j.io.gguf;

import dev.tune4j.io.MappedFiles;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Writes a GGUF version 3 file (little-endian), laid out as ggml's docs/gguf.md specifies and
 * gguf-py's GGUFWriter orders it: header (magic "GGUF", version, tensor count, metadata count),
 * the metadata key-value pairs in the order they were put, the tensor infos in the order they
 * were added, zero padding to the alignment, then each tensor's data at its aligned offset,
 * each followed by zero padding to the alignment.
 *
 * <p>Tensors are given in row-major (torch) shape order and written with their dimensions reversed,
 * as ggml counts them ({@code ne[0]} is the row length). Each is materialised from its source only
 * while it is written and converted from float32 to its {@link GgmlType} on the way out.
 *
 * <p>The alignment is 32 unless another is given; a non-default one is recorded under
 * {@code general.alignment}, as readers assume 32 without it. The file is written to a temporary
 * file beside the target and renamed over it, so a failure leaves no half-written file.
 */
public final class GgufWriter {
    public static final int MAGIC = 0x46554747;   // "GGUF" read as a little-endian u32
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** The spec's limit on a tensor name, in bytes. */
    public static final int MAX_NAME_BYTES = 64;
    /** The spec's limit on a metadata key, in bytes. */
    public static final int MAX_KEY_BYTES = 65535;

    private record Entry(String name, GgmlType type, int[] shape, Supplier<Tensor> source) {
        long bytes() { return type.bytes(Shape.numel(shape)); }
    }

    private final int alignment;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> tensors = new LinkedHashMap<>();

    public GgufWriter() {
        this(DEFAULT_ALIGNMENT);
    }

    /** @param alignment a power of two, at least 8 (the spec asks for a multiple of 8, ggml for a power of two) */
    public GgufWriter(int alignment) {
        if (alignment < 8 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("GGUF alignment must be a power of two of at least 8, got " + alignment);
        }
        this.alignment = alignment;
        if (alignment != DEFAULT_ALIGNMENT) metadata.put(ALIGNMENT_KEY, GgufValue.u32(alignment));
    }

    public int alignment() { return alignment; }

    /** Adds a metadata pair; keys are ASCII, at most 65535 bytes, each put once. */
    public GgufWriter put(String key, GgufValue value) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_BYTES || !key.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("GGUF metadata key '" + key + "' must be printable ASCII of 1.." + MAX_KEY_BYTES + " bytes");
        }
        if (key.equals(ALIGNMENT_KEY)) throw new IllegalArgumentException(ALIGNMENT_KEY + " follows the writer's alignment; give it to the constructor");
        if (metadata.putIfAbsent(key, value) != null) throw new IllegalArgumentException("GGUF metadata key '" + key + "' was put twice");
        return this;
    }

    /** The metadata put so far, in order. */
    public Map<String, GgufValue> metadata() { return java.util.Collections.unmodifiableMap(metadata); }

    /**
     * Adds a tensor of {@code shape} (row-major, at most 4 dimensions) stored as {@code type}; its last
     * dimension (the row) must hold whole blocks of the type. {@code source} is called once, while
     * the file is written, and must give a tensor of that shape.
     */
    public GgufWriter addTensor(String name, GgmlType type, int[] shape, Supplier<Tensor> source) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("GGUF tensor name '" + name + "' must be 1.." + MAX_NAME_BYTES + " bytes");
        }
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException("GGUF tensor '" + name + "' has " + shape.length + " dimensions; ggml takes 1 to 4");
        }
        Shape.numel(shape);
        if (!type.fitsRow(shape[shape.length - 1])) {
            throw new IllegalArgumentException("GGUF tensor '" + name + "': rows of " + shape[shape.length - 1] + " values do not split into "
                    + type + " blocks of " + type.blockSize);
        }
        if (tensors.putIfAbsent(name, new Entry(name, type, shape.clone(), source)) != null) {
            throw new IllegalArgumentException("GGUF tensor '" + name + "' was added twice");
        }
        return this;
    }

    /** Writes the file atomically (a temporary file renamed over {@code file}). */
    public void write(Path file) throws IOException {
        if (MappedFiles.isMapped(file)) throw new IllegalStateException("refusing to write " + file + ": it is memory-mapped by an open checkpoint");
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeAll(ch, ByteBuffer.wrap(header()));
                for (Entry e : tensors.values()) writeTensor(ch, e);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Everything before the tensor data: header, metadata, tensor infos, padding. */
    byte[] header() {
        Out out = new Out();
        out.u32(MAGIC);
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(metadata.size());
        metadata.forEach((key, v) -> {
            out.string(key);
            out.u32(v.type().id);
            out.value(v.type(), v.value());
        });
        long offset = 0;
        for (Entry e : tensors.values()) {
            out.string(e.name());
            out.u32(e.shape().length);
            for (int d = e.shape().length - 1; d >= 0; d--) out.u64(e.shape()[d]);
            out.u32(e.type().id);
            out.u64(offset);
            offset += pad(e.bytes());
        }
        out.zeros((int) (pad(out.size()) - out.size()));
        return out.toByteArray();
    }

    private long pad(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private void writeTensor(FileChannel ch, Entry e) throws IOException {
        Tensor t = e.source().get();
        if (t == null || !Arrays.equals(t.shape(), e.shape())) {
            throw new IllegalArgumentException("GGUF tensor '" + e.name() + "' was declared with shape " + Shape.str(e.shape())
                    + " but its source gave " + (t == null ? "null" : Shape.str(t.shape())));
        }
        int row = e.shape()[e.shape().length - 1];
        long rows = t.numel() / row;
        int rowBytes = (int) e.type().bytes(row);
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1 << 20, rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        float[] x = new float[row];
        for (long r = 0; r < rows; r++) {
            if (buf.remaining() < rowBytes) {
                buf.flip();
                writeAll(ch, buf);
                buf.clear();
            }
            t.storage().read(r * row, x, 0, row);
            switch (e.type()) {
                case F32 -> { for (float v : x) buf.putFloat(v); }
                case F16 -> { for (float v : x) buf.putShort(Float.floatToFloat16(v)); }
                case BF16 -> { for (float v : x) buf.putShort(dev.tune4j.tensor.DType.f32ToBf16(v)); }
                case Q8_0 -> Q8_0Codec.encode(x, 0, row, buf);
            }
        }
        buf.put(new byte[(int) (pad(e.bytes()) - e.bytes())]);
        buf.flip();
        writeAll(ch, buf);
    }

    private static void writeAll(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** Little-endian encoder for the header. */
    private static final class Out extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u8(long v) { write((int) v); }

        void u16(long v) { scratch.clear(); scratch.putShort((short) v); write(scratch.array(), 0, 2); }

        void u32(long v) { scratch.clear(); scratch.putInt((int) v); write(scratch.array(), 0, 4); }

        void u64(long v) { scratch.clear(); scratch.putLong(v); write(scratch.array(), 0, 8); }

        void zeros(int n) { write(new byte[n], 0, n); }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }

        void value(GgufType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8((Long) v);
                case UINT16, INT16 -> u16((Long) v);
                case UINT32, INT32 -> u32((Long) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v));
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> {
                    GgufArray a = (GgufArray) v;
                    u32(a.elementType().id);
                    u64(a.size());
                    for (Object item : a.items()) value(a.elementType(), item);
                }
            }
        }
    }
}
