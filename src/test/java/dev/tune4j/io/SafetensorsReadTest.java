package dev.tune4j.io;

import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Storage;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsReadTest {
    @TempDir
    Path dir;

    /** 8-byte little-endian length, then the JSON, then the data, exactly as the format describes it. */
    static byte[] file(String json, int... dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        long n = h.length;
        for (int i = 0; i < 8; i++) out.write((int) (n >>> (8 * i)) & 0xFF);
        out.writeBytes(h);
        for (int b : dataBytes) out.write(b);
        return out.toByteArray();
    }

    /** A file built byte by byte per the format: header not in offset order, not padded, five dtypes. */
    static byte[] handWritten() {
        String json = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]},"
                + "\"__metadata__\":{\"format\":\"pt\",\"note\":\"by hand\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[22,30]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[30,46]},"
                + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[46,46]}}";
        return file(json,
                // a: F32 1.0 (3F800000), -2.5 (C0200000), 0.15625 (3E200000), 1e-45 (00000001), little-endian
                0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0x00, 0x00, 0x20, 0x3E, 0x01, 0x00, 0x00, 0x00,
                // b: BF16 1.0 (3F80), -3.140625 (C049), +inf (7F80)
                0x80, 0x3F, 0x49, 0xC0, 0x80, 0x7F,
                // h: F16 1.0 (3C00), -2.0 (C000), 0.333251953125 (3555), 2^-24 (0001)
                0x00, 0x3C, 0x00, 0xC0, 0x55, 0x35, 0x01, 0x00,
                // ids: I64 7, -1
                0x07, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    }

    @Test
    void handWrittenFileLoadsPerTheFormatSpec() throws Exception {
        Path p = dir.resolve("hand.safetensors");
        Files.write(p, handWritten());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(java.util.List.of("a", "b", "empty", "h", "ids"), java.util.List.copyOf(f.names()));
            assertEquals(Map.of("format", "pt", "note", "by hand"), f.metadata());

            Tensor a = f.tensor("a");
            assertArrayEquals(new int[]{2, 2}, a.shape());
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new float[]{1.0f, -2.5f, 0.15625f, Float.MIN_VALUE}, a.toHeap().data());

            Tensor b = f.tensor("b");
            assertEquals(DType.BF16, b.dtype());
            assertArrayEquals(new float[]{1.0f, -3.140625f, Float.POSITIVE_INFINITY}, b.toHeap().data());

            Tensor h = f.tensor("h");
            assertEquals(DType.F16, h.dtype());
            assertArrayEquals(new float[]{1.0f, -2.0f, 0.333251953125f, 5.9604644775390625e-8f}, h.toHeap().data());

            assertEquals(0, f.tensor("empty").numel());
            assertArrayEquals(new int[]{0, 3}, f.tensor("empty").shape());

            var ids = f.bytes("ids");
            assertEquals(16, ids.byteSize());
            var i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertEquals(7L, ids.get(i64, 0));
            assertEquals(-1L, ids.get(i64, 8));
            assertEquals("I64", f.info("ids").dtype());
        }
    }

    @Test
    void unsupportedDtypeIsRefusedOnlyWhenLoadedNamingFileTensorAndDtype() throws Exception {
        Path p = dir.resolve("hand.safetensors");
        Files.write(p, handWritten());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            var e = assertThrows(FileFormatException.class, () -> f.tensor("ids"));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("'ids'"), e.getMessage());
            assertTrue(e.getMessage().contains("I64"), e.getMessage());
            assertTrue(e.getMessage().contains("F32, F16, BF16"), e.getMessage());
        }
    }

    @Test
    void missingTensorNameIsAClearError() throws Exception {
        Path p = dir.resolve("hand.safetensors");
        Files.write(p, handWritten());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            var e = assertThrows(IllegalArgumentException.class, () -> f.tensor("nope"));
            assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    @Test
    void tensorsAreViewsOfTheMappedFileNotCopies() throws Exception {
        Path p = dir.resolve("hand.safetensors");
        Files.write(p, handWritten());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            Tensor a = f.tensor("a");
            assertFalse(a.isHeap());
            Storage.Segment s = assertInstanceOf(Storage.Segment.class, a.storage());
            assertTrue(s.segment().isMapped());
            assertEquals(16, s.segment().byteSize());
        }
    }

    @Test
    void otherThreadsCanReadTheMappingAndUseAfterCloseThrowsInsteadOfCrashing() throws Exception {
        Path p = dir.resolve("hand.safetensors");
        Files.write(p, handWritten());
        SafetensorsFile f = SafetensorsFile.open(p);
        Tensor a = f.tensor("a");
        AtomicReference<Object> fromWorker = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                fromWorker.set(a.get(1));
            } catch (Throwable e) {
                fromWorker.set(e);
            }
        });
        t.start();
        t.join();
        assertEquals(-2.5f, fromWorker.get());

        assertTrue(MappedFiles.isMapped(p));
        f.close();
        assertFalse(MappedFiles.isMapped(p));
        assertThrows(IllegalStateException.class, () -> a.get(0));
        assertThrows(IllegalStateException.class, () -> f.tensor("a"));
        f.close(); // idempotent
    }

    @Test
    void safetensorsOpenAcceptsAFileOrAFolder() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("m"));
        Files.write(folder.resolve("weights.safetensors"), handWritten());
        try (Checkpoint c = Safetensors.open(folder)) {
            assertEquals(-2.5f, c.tensor("a").get(1));
        }
        try (Checkpoint c = Safetensors.open(folder.resolve("weights.safetensors"))) {
            assertEquals(5, c.names().size());
        }
        Files.write(folder.resolve("other.safetensors"), handWritten());
        var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.open(folder));
        assertTrue(e.getMessage().contains("several"), e.getMessage());
    }
}
