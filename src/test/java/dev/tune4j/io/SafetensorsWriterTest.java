package dev.tune4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    private static float bits(int b) { return Float.intBitsToFloat(b); }

    private static ByteBuffer le(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN); }

    /** Start of the data buffer in a file. */
    private static int dataStart(byte[] file) { return 8 + (int) le(file).getLong(0); }

    @Test
    void f32RoundTripIsBitIdentical() throws Exception {
        SplittableRandom rng = new SplittableRandom(7);
        float[] values = new float[70_001 * 3];   // spans several write chunks, odd row count
        for (int i = 0; i < values.length; i++) values[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-30, 30)));
        values[0] = -0.0f;
        values[1] = Float.MIN_VALUE;
        values[2] = Float.NEGATIVE_INFINITY;
        values[3] = bits(0x7FC12345);              // NaN with a payload
        values[4] = Float.MAX_VALUE;
        Path p = dir.resolve("f32.safetensors");
        new SafetensorsWriter(DType.F32).add("x", Tensor.of(values, 70_001, 3)).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            float[] back = f.tensor("x").toHeap().data();
            assertEquals(values.length, back.length);
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(back[i]), "element " + i);
            }
        }
    }

    @Test
    void bf16OutputRoundsToNearestEvenWithKnownBitPatterns() throws Exception {
        // Inputs and expected BF16 bits worked out by hand: keep the top 16 bits, round the low 16 to nearest, ties to even.
        int[] in = {0x3F800000, 0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF, 0x7F7FFFFF, 0x80000000, 0x7FC00000, 0xC0490FDB};
        int[] expect = {0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x3F80, 0x7F80, 0x8000, 0x7FC0, 0xC049};
        float[] values = new float[in.length];
        for (int i = 0; i < in.length; i++) values[i] = bits(in[i]);
        Path p = dir.resolve("bf16.safetensors");
        new SafetensorsWriter(DType.BF16).add("x", Tensor.of(values, values.length)).write(p);

        byte[] file = Files.readAllBytes(p);
        int start = dataStart(file);
        assertEquals(start + 2 * in.length, file.length);
        for (int i = 0; i < in.length; i++) {
            assertEquals(expect[i], le(file).getShort(start + 2 * i) & 0xFFFF, "element " + i);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("BF16", f.info("x").dtype());
            float[] back = f.tensor("x").toHeap().data();
            for (int i = 0; i < in.length; i++) {
                assertEquals(expect[i] << 16, Float.floatToRawIntBits(back[i]), "element " + i);
            }
        }
    }

    @Test
    void f16OutputGivesKnownBitPatterns() throws Exception {
        float[] values = {1.0f, -2.0f, 65504f, 65520f, 1f / 3, 0x1p-24f, 1e-8f, 0.1f};
        int[] expect = {0x3C00, 0xC000, 0x7BFF, 0x7C00, 0x3555, 0x0001, 0x0000, 0x2E66};
        float[] representable = {1.0f, -2.0f, 65504f, Float.POSITIVE_INFINITY, 0.333251953125f, 0x1p-24f, 0f, 0.0999755859375f};
        Path p = dir.resolve("f16.safetensors");
        new SafetensorsWriter(DType.F16).add("x", Tensor.of(values, values.length)).write(p);
        byte[] file = Files.readAllBytes(p);
        int start = dataStart(file);
        for (int i = 0; i < values.length; i++) {
            assertEquals(expect[i], le(file).getShort(start + 2 * i) & 0xFFFF, "element " + i);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertArrayEquals(representable, f.tensor("x").toHeap().data());
        }
    }

    @Test
    void fileLayoutMatchesTheReferenceByteForByte() throws Exception {
        Path p = dir.resolve("exact.safetensors");
        new SafetensorsWriter(DType.F32).metadata("step", "3")
                .add("w", Tensor.of(new float[]{1f, 2f}, 2))
                .add("a", Tensor.of(new float[]{-1f}, 1), DType.BF16)
                .write(p);
        // __metadata__ first (keys sorted), 4-byte tensors before 2-byte ones, padded with spaces to 8 bytes.
        String json = "{\"__metadata__\":{\"format\":\"pt\",\"step\":\"3\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer expected = ByteBuffer.allocate(8 + padded + 10).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(padded).put(json.getBytes(StandardCharsets.UTF_8));
        while (expected.position() < 8 + padded) expected.put((byte) ' ');
        expected.putInt(0x3F800000).putInt(0x40000000).putShort((short) 0xBF80);
        byte[] actual = Files.readAllBytes(p);
        assertEquals((8 + padded) % 8, 0);
        assertArrayEquals(expected.array(), actual, new String(actual, StandardCharsets.ISO_8859_1));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(java.util.Map.of("format", "pt", "step", "3"), f.metadata());
        }
    }

    @Test
    void headerIsAlignedTo8BytesForAnyNameLength() throws Exception {
        for (int len = 1; len <= 9; len++) {
            Path p = dir.resolve("align" + len + ".safetensors");
            new SafetensorsWriter(DType.F32).add("n".repeat(len), Tensor.of(new float[]{1}, 1)).write(p);
            byte[] file = Files.readAllBytes(p);
            long n = le(file).getLong(0);
            assertEquals(0, (8 + n) % 8, "name length " + len);
            String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.stripTrailing().endsWith("}"), header);
            assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        }
    }

    @Test
    void segmentBackedTensorsAreCopiedOrConverted() throws Exception {
        Path src = dir.resolve("src.safetensors");
        new SafetensorsWriter(DType.BF16).add("x", Tensor.of(new float[]{1.5f, -3.25f, 1e-3f}, 3)).write(src);
        Path same = dir.resolve("same.safetensors"), up = dir.resolve("up.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            new SafetensorsWriter(DType.BF16).add("x", f.tensor("x")).write(same);
            new SafetensorsWriter(DType.F32).add("x", f.tensor("x")).write(up);
            float[] expected = f.tensor("x").toHeap().data();
            try (SafetensorsFile g = SafetensorsFile.open(up)) {
                assertArrayEquals(expected, g.tensor("x").toHeap().data());
            }
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(same));
    }

    @Test
    void writingOverAFileThatIsMappedIsRefused() throws Exception {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter(DType.F32).add("x", Tensor.of(new float[]{1}, 1)).write(p);
        byte[] before = Files.readAllBytes(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            var e = assertThrows(IllegalStateException.class,
                    () -> new SafetensorsWriter(DType.F32).add("x", Tensor.of(new float[]{2}, 1)).write(dir.resolve("./m.safetensors")));
            assertTrue(e.getMessage().contains("memory-mapped") && e.getMessage().contains("m.safetensors"), e.getMessage());
            assertEquals(1f, f.tensor("x").get(0));
        }
        assertArrayEquals(before, Files.readAllBytes(p));
        new SafetensorsWriter(DType.F32).add("x", Tensor.of(new float[]{2}, 1)).write(p);   // closed: allowed
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(2f, f.tensor("x").get(0));
        }
    }

    @Test
    void aFailedWriteLeavesThePreviousFileAndNoTemporaryFile() throws Exception {
        Path p = dir.resolve("keep.safetensors");
        new SafetensorsWriter(DType.F32).add("x", Tensor.of(new float[]{1, 2}, 2)).write(p);
        byte[] before = Files.readAllBytes(p);

        SafetensorsWriter failing = new SafetensorsWriter(DType.F32)
                .add("a", Tensor.zeros(100_000))
                .add("b", new int[]{4}, DType.F32, () -> { throw new IllegalStateException("disk gone"); });
        var e = assertThrows(IllegalStateException.class, () -> failing.write(p));
        assertEquals("disk gone", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p));

        SafetensorsWriter wrongShape = new SafetensorsWriter(DType.F32)
                .add("a", new int[]{3}, DType.F32, () -> Tensor.zeros(4));
        var e2 = assertThrows(IllegalArgumentException.class, () -> wrongShape.write(p));
        assertTrue(e2.getMessage().contains("'a'") && e2.getMessage().contains("[3]") && e2.getMessage().contains("[4]"), e2.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p));

        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    @Test
    void shardedWriteSplitsBySizeWritesTheIndexAndLoadsBack() throws Exception {
        Path folder = dir.resolve("sharded");
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        SplittableRandom rng = new SplittableRandom(1);
        Tensor[] ts = new Tensor[5];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = Tensor.randn(rng, 1f, 10, 10);   // 400 bytes each
            w.add("layer." + i + ".weight", ts[i]);
        }
        List<Path> files = w.writeSharded(folder, 900);   // two tensors per shard
        assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                        "model-00003-of-00003.safetensors", "model.safetensors.index.json"),
                files.stream().map(f -> f.getFileName().toString()).toList());

        JsonNode index = new ObjectMapper().readTree(folder.resolve(Safetensors.INDEX_FILE).toFile());
        assertEquals(2000, index.get("metadata").get("total_size").asLong());
        assertEquals("model-00003-of-00003.safetensors", index.get("weight_map").get("layer.4.weight").asText());

        try (Checkpoint c = Safetensors.open(folder)) {
            assertInstanceOf(ShardedCheckpoint.class, c);
            assertEquals(5, c.names().size());
            assertEquals("2000", c.metadata().get("total_size"));
            for (int i = 0; i < ts.length; i++) {
                assertArrayEquals(ts[i].data(), c.tensor("layer." + i + ".weight").toHeap().data());
            }
        }

        // Rewriting the same folder as one file removes the now stale shards and index.
        List<Path> single = new SafetensorsWriter(DType.F32).add("x", Tensor.zeros(2)).writeSharded(folder, 1 << 20);
        assertEquals(List.of(folder.resolve("model.safetensors")), single);
        try (Stream<Path> s = Files.list(folder)) {
            assertEquals(List.of("model.safetensors"), s.map(f -> f.getFileName().toString()).toList());
        }
    }

    @Test
    void shardedLoadRefusesAMissingShardOrATensorMissingFromItsShard() throws Exception {
        Path folder = dir.resolve("broken");
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        for (int i = 0; i < 4; i++) w.add("t" + i, Tensor.zeros(100));
        w.writeSharded(folder, 400);
        Path indexFile = folder.resolve(Safetensors.INDEX_FILE);
        String index = Files.readString(indexFile);

        Files.writeString(indexFile, index.replace("\"t3\" : \"model-00004-of-00004.safetensors\"",
                "\"t3\" : \"model-00004-of-00004.safetensors\", \"t9\" : \"model-00004-of-00004.safetensors\""));
        var e = assertThrows(FileFormatException.class, () -> Safetensors.open(folder));
        assertTrue(e.getMessage().contains("'t9'") && e.getMessage().contains("does not contain"), e.getMessage());
        assertFalse(MappedFiles.isMapped(folder.resolve("model-00001-of-00004.safetensors")), "shards opened so far are closed");

        Files.writeString(indexFile, index);
        Files.delete(folder.resolve("model-00002-of-00004.safetensors"));
        var e2 = assertThrows(FileFormatException.class, () -> Safetensors.open(folder));
        assertTrue(e2.getMessage().contains("model-00002-of-00004.safetensors") && e2.getMessage().contains("does not exist"), e2.getMessage());
        assertTrue(e2.getMessage().contains(indexFile.toString()), e2.getMessage());

        Files.writeString(indexFile, index.replace("model-00001-of-00004.safetensors", "../model-00001-of-00004.safetensors"));
        var e3 = assertThrows(FileFormatException.class, () -> Safetensors.open(folder));
        assertTrue(e3.getMessage().contains("not a plain file name"), e3.getMessage());
    }

    @Test
    void rejectsDuplicateAndReservedNames() {
        SafetensorsWriter w = new SafetensorsWriter(DType.F32).add("x", Tensor.zeros(1));
        assertThrows(IllegalArgumentException.class, () -> w.add("x", Tensor.zeros(1)));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", Tensor.zeros(1)));
    }

    @Test
    void emptyCheckpointRoundTrips() throws IOException {
        Path p = dir.resolve("empty.safetensors");
        new SafetensorsWriter(DType.F32).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertTrue(f.names().isEmpty());
            assertEquals("pt", f.metadata().get("format"));
        }
    }
}
