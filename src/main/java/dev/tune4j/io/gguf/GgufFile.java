package dev.tune4j.io.gguf;

import dev.tune4j.io.FileFormatException;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file read as ggml's docs/gguf.md specifies it (little-endian, versions 2 and 3): the
 * header, every metadata pair, every tensor info, and the tensor data behind them, memory-mapped
 * until {@link #close()}. Written from the spec alone, apart from {@link GgufWriter}, so that each
 * checks the other.
 *
 * <p>Everything is validated when the file is opened: magic, version, counts against the bytes
 * left, known value types, bools that are 0 or 1, UTF-8 strings, ASCII keys of at most 65535 bytes,
 * no duplicate key or tensor name, tensor names of at most 64 bytes, 1 to 4 dimensions, the
 * alignment ({@code general.alignment}, a power of two and a multiple of 8; 32 when absent),
 * each tensor's offset a multiple of it and its data inside the file. A file that breaks any of
 * this is refused with a {@link FileFormatException} naming the file and the key or tensor.
 */
public final class GgufFile implements AutoCloseable {
    /** Nested arrays deeper than this are refused (the spec sets no limit; a hostile file could recurse without end). */
    private static final int MAX_ARRAY_DEPTH = 8;

    /**
     * One tensor's info. {@code dims} are in ggml order ({@code dims[0]} is the row length);
     * {@code type} is null for a ggml type tune4j does not handle ({@code typeId} says which).
     */
    public record TensorInfo(String name, long[] dims, long typeId, GgmlType type, long offset) {
        public long numel() {
            long n = 1;
            for (long d : dims) n = Math.multiplyExact(n, d);
            return n;
        }

        /** The shape in row-major (torch) order: the dims reversed. */
        public int[] shape() {
            int[] s = new int[dims.length];
            for (int i = 0; i < dims.length; i++) s[i] = Math.toIntExact(dims[dims.length - 1 - i]);
            return s;
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final int alignment;
    private final long dataStart;
    private final Map<String, GgufValue> metadata;
    private final Map<String, TensorInfo> tensors;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Cursor c = new Cursor();
        if (file.byteSize() < 24) throw bad(null, "truncated: " + file.byteSize() + " bytes, a GGUF header alone takes 24");
        if (c.u32() != GgufWriter.MAGIC) throw bad(null, "not a GGUF file (it does not start with the bytes 'GGUF')");
        long v = c.u32();
        if (v == Integer.reverseBytes(3) || v == Integer.reverseBytes(2)) throw bad(null, "a big-endian GGUF file; only little-endian files are read");
        if (v != 2 && v != 3) throw bad(null, "GGUF version " + v + " is not supported (2 and 3 are)");
        version = (int) v;
        long tensorCount = c.u64(), kvCount = c.u64();
        c.checkCount(kvCount, 8 + 4 + 1, "metadata pairs", null);
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = c.key();
            GgufValue value = c.value(c.type(key), key, 0);
            if (kv.putIfAbsent(key, value) != null) throw bad(key, "the metadata key appears twice");
        }
        metadata = Collections.unmodifiableMap(kv);
        alignment = alignmentOf(metadata.get(GgufWriter.ALIGNMENT_KEY));
        c.checkCount(tensorCount, 8 + 4 + 8 + 4 + 8, "tensor infos", null);
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            TensorInfo t = c.tensorInfo();
            if (infos.putIfAbsent(t.name(), t) != null) throw bad(t.name(), "the tensor name appears twice");
        }
        tensors = Collections.unmodifiableMap(infos);
        dataStart = align(c.pos);
        for (TensorInfo t : tensors.values()) checkData(t);
    }

    /** Opens and validates {@code path}; the tensor data stays mapped until {@link #close()}. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return new GgufFile(path, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() { return path; }

    public int version() { return version; }

    /** The alignment in force: {@code general.alignment}, or 32 when the file has none. */
    public int alignment() { return alignment; }

    /** Absolute file offset of the tensor data section (the end of the tensor infos, aligned). */
    public long dataStart() { return dataStart; }

    /** Every metadata pair, in file order. */
    public Map<String, GgufValue> metadata() { return metadata; }

    /** The metadata value under {@code key}, or an error naming the file and key. */
    public GgufValue require(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) throw bad(key, "missing metadata key");
        return v;
    }

    /** Every tensor info, in file order. */
    public Map<String, TensorInfo> tensors() { return tensors; }

    /** The tensor's data as float32, in its row-major shape (F16, BF16 upcast; Q8_0 dequantised). */
    public Tensor tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw bad(name, "no such tensor");
        if (t.type() == null) throw bad(name, "ggml type " + t.typeId() + " is not one tune4j reads (F32, F16, BF16, Q8_0)");
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) throw bad(name, n + " elements are too many for one heap tensor");
        float[] x = new float[(int) n];
        ByteBuffer in = file.asSlice(dataStart + t.offset(), t.type().bytes(n)).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (t.type()) {
            case F32 -> in.asFloatBuffer().get(x);
            case F16 -> { for (int i = 0; i < x.length; i++) x[i] = Float.float16ToFloat(in.getShort()); }
            case BF16 -> { for (int i = 0; i < x.length; i++) x[i] = Float.intBitsToFloat((in.getShort() & 0xFFFF) << 16); }
            case Q8_0 -> Q8_0Codec.decode(in, x, 0, x.length);
        }
        return Tensor.of(x, t.shape());
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " metadata, " + tensors.size() + " tensors]";
    }

    private int alignmentOf(GgufValue v) {
        if (v == null) return GgufWriter.DEFAULT_ALIGNMENT;
        if (v.type() != GgufType.UINT32) throw bad(GgufWriter.ALIGNMENT_KEY, "must be a UINT32, found a " + v.type());
        long a = v.asLong();
        if (a < 8 || a % 8 != 0 || Long.bitCount(a) != 1) throw bad(GgufWriter.ALIGNMENT_KEY, a + " is not a power of two and a multiple of 8");
        return (int) a;
    }

    private long align(long offset) {
        return offset + (alignment - offset % alignment) % alignment;
    }

    private void checkData(TensorInfo t) {
        if (t.offset() % alignment != 0) throw bad(t.name(), "data offset " + t.offset() + " is not a multiple of the alignment " + alignment);
        if (t.type() == null) return;   // its size is unknown here; reading it is refused
        if (!t.type().fitsRow(t.dims()[0])) throw bad(t.name(), "rows of " + t.dims()[0] + " values do not split into " + t.type() + " blocks");
        long end = dataStart + t.offset() + t.type().bytes(t.numel());
        if (t.offset() < 0 || end > file.byteSize()) {
            throw bad(t.name(), "data [" + (dataStart + t.offset()) + ", " + end + ") runs past the end of the file (" + file.byteSize() + " bytes)");
        }
    }

    private FileFormatException bad(String entry, String message) {
        return new FileFormatException(path, entry, message);
    }

    /** Reads the header and metadata sequentially with bounds checks. */
    private final class Cursor {
        long pos;

        private void need(long n, String entry, String what) {
            if (n < 0 || pos + n > file.byteSize()) throw bad(entry, "truncated: " + what + " needs " + n + " bytes at offset " + pos
                    + ", the file has " + file.byteSize());
        }

        /** Refuses a count that could not fit in the bytes left, before anything is allocated for it. */
        void checkCount(long count, long minBytesEach, String what, String entry) {
            if (count < 0 || count > (file.byteSize() - pos) / minBytesEach) {
                throw bad(entry, Long.toUnsignedString(count) + " " + what + " cannot fit in the " + (file.byteSize() - pos) + " bytes left");
            }
        }

        long u8(String entry) { need(1, entry, "a byte"); return file.get(ValueLayout.JAVA_BYTE, pos++) & 0xFFL; }

        long u16(String entry) { need(2, entry, "a 16-bit value"); long v = file.get(LE_SHORT, pos) & 0xFFFFL; pos += 2; return v; }

        long u32(String entry) { need(4, entry, "a 32-bit value"); long v = file.get(LE_INT, pos) & 0xFFFF_FFFFL; pos += 4; return v; }

        long u64(String entry) { need(8, entry, "a 64-bit value"); long v = file.get(LE_LONG, pos); pos += 8; return v; }

        long u32() { return u32(null); }

        long u64() { return u64(null); }

        String string(String entry, int maxBytes) {
            long len = u64(entry);
            if (len < 0 || len > maxBytes) throw bad(entry, "a string of " + Long.toUnsignedString(len) + " bytes is longer than " + maxBytes);
            need(len, entry, "a string");
            byte[] b = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw bad(entry, "a string is not valid UTF-8");
            }
        }

        String key() {
            String key = string(null, GgufWriter.MAX_KEY_BYTES);
            if (key.isEmpty() || !key.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7F)) throw bad(key, "a metadata key must be printable ASCII");
            return key;
        }

        GgufType type(String entry) {
            long id = u32(entry);
            GgufType t = GgufType.byId(id);
            if (t == null) throw bad(entry, "unknown metadata value type " + id);
            return t;
        }

        GgufValue value(GgufType type, String entry, int depth) {
            return new GgufValue(type, raw(type, entry, depth));
        }

        Object raw(GgufType type, String entry, int depth) {
            return switch (type) {
                case UINT8 -> u8(entry);
                case INT8 -> (long) (byte) u8(entry);
                case UINT16 -> u16(entry);
                case INT16 -> (long) (short) u16(entry);
                case UINT32 -> u32(entry);
                case INT32 -> (long) (int) u32(entry);
                case UINT64, INT64 -> u64(entry);
                case FLOAT32 -> Float.intBitsToFloat((int) u32(entry));
                case FLOAT64 -> Double.longBitsToDouble(u64(entry));
                case BOOL -> {
                    long b = u8(entry);
                    if (b > 1) throw bad(entry, "a bool must be 0 or 1, found " + b);
                    yield b == 1;
                }
                case STRING -> string(entry, Integer.MAX_VALUE - 8);
                case ARRAY -> {
                    if (depth >= MAX_ARRAY_DEPTH) throw bad(entry, "arrays nested deeper than " + MAX_ARRAY_DEPTH);
                    GgufType element = type(entry);
                    long n = u64(entry);
                    checkCount(n, element.size > 0 ? element.size : (element == GgufType.STRING ? 8 : 12), "array elements", entry);
                    List<Object> items = new ArrayList<>((int) n);
                    for (long i = 0; i < n; i++) items.add(raw(element, entry, depth + 1));
                    yield new GgufArray(element, items);
                }
            };
        }

        TensorInfo tensorInfo() {
            String name = string(null, GgufWriter.MAX_NAME_BYTES);
            long nDims = u32(name);
            if (nDims < 1 || nDims > 4) throw bad(name, nDims + " dimensions; 1 to 4 are allowed");
            long[] dims = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = u64(name);
                if (dims[d] < 1 || dims[d] > Integer.MAX_VALUE) throw bad(name, "dimension " + d + " is " + Long.toUnsignedString(dims[d]));
            }
            long typeId = u32(name);
            long offset = u64(name);
            TensorInfo t = new TensorInfo(name, dims, typeId, GgmlType.byId(typeId), offset);
            try {
                t.numel();
            } catch (ArithmeticException e) {
                throw bad(name, "its element count overflows");
            }
            return t;
        }
    }

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
