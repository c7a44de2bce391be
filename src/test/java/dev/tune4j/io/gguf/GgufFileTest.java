package dev.tune4j.io.gguf;

import dev.tune4j.io.FileFormatException;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The GGUF layout of ggml's docs/gguf.md, read and written: bytes assembled by hand, every value type, alignment, bad files. */
class GgufFileTest {
    @TempDir
    Path dir;

    /** Little-endian bytes as the spec's structs lay them out. */
    private static final class Bytes {
        final ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);

        Bytes u32(long v) { b.putInt((int) v); return this; }

        Bytes u64(long v) { b.putLong(v); return this; }

        Bytes str(String s) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            u64(x.length);
            b.put(x);
            return this;
        }

        Bytes padTo(int alignment) {
            while (b.position() % alignment != 0) b.put((byte) 0);
            return this;
        }

        byte[] bytes() { return Arrays.copyOf(b.array(), b.position()); }
    }

    @Test
    void aHandAssembledFileDecodesAsTheSpecSays() throws Exception {
        Bytes f = new Bytes();
        f.b.put("GGUF".getBytes(StandardCharsets.US_ASCII));           // gguf_header_t.magic
        f.u32(3).u64(2).u64(3);                                        // version 3, 2 tensors, 3 metadata pairs
        f.str("general.architecture").u32(8).str("llama");             // STRING
        f.str("llama.block_count").u32(4).u32(7);                      // UINT32
        f.str("test.deltas").u32(9).u32(3).u64(2);                     // ARRAY of INT16, 2 elements
        f.b.putShort((short) 1).putShort((short) -2);
        f.str("a").u32(2).u64(3).u64(2).u32(0).u64(0);                 // F32, ne = {3, 2}: 2 rows of 3, at 0
        f.str("b").u32(1).u64(32).u32(8).u64(32);                      // Q8_0, ne = {32}, at 32 (24 bytes of a, padded)
        int dataStart = f.padTo(32).b.position();                      // no general.alignment: 32
        for (int i = 0; i < 6; i++) f.b.putFloat(i + 0.5f);
        f.padTo(32);
        f.b.putShort(Float.floatToFloat16(0.25f));                    // Q8_0 block: d, then 32 int8
        for (int j = 0; j < 32; j++) f.b.put((byte) (j - 16));
        Path file = dir.resolve("hand.gguf");
        Files.write(file, f.bytes());

        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(3, g.version());
            assertEquals(32, g.alignment());
            assertEquals(dataStart, g.dataStart());
            assertEquals(List.of("general.architecture", "llama.block_count", "test.deltas"), List.copyOf(g.metadata().keySet()));
            assertEquals(GgufValue.string("llama"), g.metadata().get("general.architecture"));
            assertEquals(new GgufValue(GgufType.UINT32, 7L), g.metadata().get("llama.block_count"));
            assertEquals(GgufValue.array(GgufType.INT16, List.of(1L, -2L)), g.metadata().get("test.deltas"));
            GgufFile.TensorInfo a = g.tensors().get("a");
            assertArrayEquals(new long[] {3, 2}, a.dims());
            assertArrayEquals(new int[] {2, 3}, a.shape(), "row-major: ne reversed");
            assertEquals(GgmlType.F32, a.type());
            assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, g.tensor("a").data());
            float[] b = g.tensor("b").data();
            for (int j = 0; j < 32; j++) assertEquals(0.25f * (j - 16), b[j], "x = d * q");
        }
    }

    @Test
    void everyMetadataTypeRoundTripsThroughTheWriterAndTheReader() throws Exception {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("t.uint8", new GgufValue(GgufType.UINT8, 255L));
        values.put("t.int8", new GgufValue(GgufType.INT8, -128L));
        values.put("t.uint16", new GgufValue(GgufType.UINT16, 65535L));
        values.put("t.int16", new GgufValue(GgufType.INT16, -32768L));
        values.put("t.uint32", new GgufValue(GgufType.UINT32, 0xFFFF_FFFFL));
        values.put("t.int32", new GgufValue(GgufType.INT32, (long) Integer.MIN_VALUE));
        values.put("t.float32", new GgufValue(GgufType.FLOAT32, -1.5e-7f));
        values.put("t.bool", GgufValue.bool(true));
        values.put("t.string", GgufValue.string("naïve ☃ <|im_end|>\n"));
        values.put("t.empty_string", GgufValue.string(""));
        values.put("t.uint64", new GgufValue(GgufType.UINT64, -1L));   // 2^64 - 1
        values.put("t.int64", new GgufValue(GgufType.INT64, Long.MIN_VALUE));
        values.put("t.float64", new GgufValue(GgufType.FLOAT64, Math.PI));
        values.put("t.strings", GgufValue.array(GgufType.STRING, List.of("Ġthe", "", "<|im_start|>")));
        values.put("t.floats", GgufValue.array(GgufType.FLOAT32, List.of(1f, Float.NaN, Float.NEGATIVE_INFINITY)));
        values.put("t.empty", GgufValue.array(GgufType.UINT8, List.of()));
        values.put("t.nested", GgufValue.array(GgufType.ARRAY, List.of(new GgufArray(GgufType.BOOL, List.of(true, false)),
                new GgufArray(GgufType.INT64, List.of(3L)))));
        GgufWriter w = new GgufWriter();
        values.forEach(w::put);
        Path file = dir.resolve("types.gguf");
        w.write(file);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(values, g.metadata());
            assertEquals(List.copyOf(values.keySet()), List.copyOf(g.metadata().keySet()), "in the order written");
            assertTrue(g.tensors().isEmpty());
            assertFalse(g.metadata().containsKey(GgufWriter.ALIGNMENT_KEY), "the default alignment is not written, as gguf-py does");
        }
    }

    @Test
    void tensorsStartOnTheAlignmentAndComeBackInEveryType() throws Exception {
        SplittableRandom rng = new SplittableRandom(1);
        Tensor x = Tensor.randn(rng, 1f, 3, 5), y = Tensor.randn(rng, 1f, 7), z = Tensor.randn(rng, 1f, 2, 64), q = Tensor.randn(rng, 1f, 3, 64);
        GgufWriter w = new GgufWriter(64);
        w.put("general.architecture", GgufValue.string("test"));
        w.addTensor("x.f32", GgmlType.F32, x.shape(), () -> x);
        w.addTensor("y.f16", GgmlType.F16, y.shape(), () -> y);
        w.addTensor("z.bf16", GgmlType.BF16, z.shape(), () -> z);
        w.addTensor("q.q8_0", GgmlType.Q8_0, q.shape(), () -> q);
        Path file = dir.resolve("aligned.gguf");
        w.write(file);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(new GgufValue(GgufType.UINT32, 64L), g.metadata().get(GgufWriter.ALIGNMENT_KEY), "a non-default alignment is recorded");
            assertEquals(64, g.alignment());
            assertEquals(0, g.dataStart() % 64);
            long expectedOffset = 0;
            for (GgufFile.TensorInfo t : g.tensors().values()) {
                assertEquals(expectedOffset, t.offset(), t.name() + " follows the previous tensor, padded");
                assertEquals(0, t.offset() % 64, t.name());
                expectedOffset += (t.type().bytes(t.numel()) + 63) / 64 * 64;
            }
            assertEquals(g.dataStart() + expectedOffset, Files.size(file), "the last tensor is padded too");
            assertArrayEquals(x.data(), g.tensor("x.f32").data());
            float[] yBack = g.tensor("y.f16").data(), zBack = g.tensor("z.bf16").data();
            for (int i = 0; i < y.numel(); i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(y.data()[i])), yBack[i]);
            for (int i = 0; i < z.numel(); i++) assertEquals(DType.bf16ToF32(DType.f32ToBf16(z.data()[i])), zBack[i]);
            assertArrayEquals(new int[] {3, 64}, g.tensor("q.q8_0").shape());
            GgufExportTest.assertWithinQ8_0Rounding(q.data(), g.tensor("q.q8_0").data());
        }
    }

    @Test
    void q8_0BlocksAreBitForBitGgmlsReference() {
        // amax 127 makes d = 1 exactly: q = roundf(x), halves away from zero (Math.round would give -2 for -2.5)
        float[] x = new float[32];
        float[] values = {127, -2.5f, 2.5f, -0.5f, 0.5f, 1.49f, -126.6f, 0};
        System.arraycopy(values, 0, x, 0, values.length);
        ByteBuffer out = ByteBuffer.allocate(Q8_0Codec.BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Q8_0Codec.encode(x, 0, 32, out);
        byte[] b = out.array();
        assertEquals(0x00, b[0] & 0xFF, "f16(1.0) = 0x3C00, low byte first");
        assertEquals(0x3C, b[1] & 0xFF);
        byte[] expected = {127, -3, 3, -1, 1, 1, -127, 0};
        for (int j = 0; j < expected.length; j++) assertEquals(expected[j], b[2 + j], "q" + j);
        float[] zeros = new float[32];
        ByteBuffer z = ByteBuffer.allocate(Q8_0Codec.BLOCK_BYTES);
        Q8_0Codec.encode(zeros, 0, 32, z);
        assertArrayEquals(new byte[Q8_0Codec.BLOCK_BYTES], z.array(), "an all-zero block: d = 0, q = 0");
    }

    private Path write(byte[] bytes) throws Exception {
        Path file = dir.resolve("bad-" + Arrays.hashCode(bytes) + ".gguf");
        Files.write(file, bytes);
        return file;
    }

    private FileFormatException refused(Bytes b) throws Exception {
        Path file = write(b.bytes());
        FileFormatException e = assertThrows(FileFormatException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
        return e;
    }

    private static Bytes header(long tensors, long kvs) {
        Bytes b = new Bytes();
        b.b.put("GGUF".getBytes(StandardCharsets.US_ASCII));
        return b.u32(3).u64(tensors).u64(kvs);
    }

    @Test
    void malformedFilesAreRefusedWithTheReason() throws Exception {
        Bytes notGguf = new Bytes().u32(0x46554747 + 1).u32(3).u64(0).u64(0);
        assertTrue(refused(notGguf).getMessage().contains("not a GGUF file"));
        Bytes v1 = new Bytes();
        v1.b.put("GGUF".getBytes(StandardCharsets.US_ASCII));
        v1.u32(1).u64(0).u64(0);
        assertTrue(refused(v1).getMessage().contains("version 1"));
        assertTrue(refused(header(0, 1).str("flag").u32(7)).getMessage().contains("truncated"));
        Bytes badBool = header(0, 1).str("flag").u32(7);
        badBool.b.put((byte) 2);
        assertTrue(refused(badBool).getMessage().contains("'flag': a bool must be 0 or 1"));
        assertTrue(refused(header(0, 1).str("t").u32(13).u32(0)).getMessage().contains("unknown metadata value type 13"));
        assertTrue(refused(header(0, 1).str("arr").u32(9).u32(5).u64(1L << 40)).getMessage().contains("cannot fit"));
        assertTrue(refused(header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2)).getMessage().contains("'k': the metadata key appears twice"));
        assertTrue(refused(header(0, 1).str("general.alignment").u32(4).u32(12)).getMessage().contains("not a power of two"));
        assertTrue(refused(header(1, 0).str("w").u32(5).u64(1).u64(1).u64(1).u64(1).u64(1).u32(0).u64(0))
                .getMessage().contains("'w': 5 dimensions"));
        assertTrue(refused(header(1, 0).str("w").u32(1).u64(4).u32(0).u64(8).padTo(32).u64(0).u64(0))
                .getMessage().contains("'w': data offset 8 is not a multiple of the alignment 32"));
        assertTrue(refused(header(1, 0).str("w").u32(1).u64(64).u32(0).u64(0).padTo(32).u64(0))
                .getMessage().contains("runs past the end of the file"));
        Bytes longName = header(1, 0).str("x".repeat(65)).u32(1).u64(4).u32(0).u64(0);
        assertTrue(refused(longName).getMessage().contains("longer than 64"));
    }

    @Test
    void theWriterRefusesWhatTheSpecForbids() {
        GgufWriter w = new GgufWriter();
        w.put("a.b", GgufValue.u32(1));
        assertThrows(IllegalArgumentException.class, () -> w.put("a.b", GgufValue.u32(2)), "a key twice");
        assertThrows(IllegalArgumentException.class, () -> w.put("ünïcode", GgufValue.u32(2)), "a non-ASCII key");
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufType.UINT8, 256L), "out of range");
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufType.INT32, List.of("x")), "an element of the wrong type");
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.Q8_0, new int[] {4, 48}, () -> null), "rows of 48");
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("n".repeat(65), GgmlType.F32, new int[] {1}, () -> null));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter(12), "an alignment that is no power of two");
    }
}
