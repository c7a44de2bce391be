package dev.tune4j.io;

import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.tune4j.io.SafetensorsReadTest.file;
import static org.junit.jupiter.api.Assertions.*;

/** Every malformed file is refused at open with a message naming the file (and tensor where one is at fault). */
class SafetensorsCorruptFileTest {
    @TempDir
    Path dir;

    private FileFormatException refused(String name, byte[] bytes, String... fragments) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        assertFalse(MappedFiles.isMapped(p));
        return e;
    }

    private byte[] valid() throws Exception {
        Path p = dir.resolve("valid.safetensors");
        new SafetensorsWriter(DType.F32)
                .add("layer.weight", Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3))
                .add("layer.bias", Tensor.of(new float[]{7, 8}, 2))
                .write(p);
        return Files.readAllBytes(p);
    }

    @Test
    void truncationAtAnyOffsetIsRefusedNamingTheFile() throws Exception {
        byte[] ok = valid();
        long headerEnd = 8 + ByteBuffer.wrap(ok).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        long[] cuts = {0, 3, 7, 8, 9, headerEnd / 2, headerEnd - 1, headerEnd, headerEnd + 3, ok.length - 1};
        for (long cut : cuts) {
            var e = refused("cut" + cut + ".safetensors", Arrays.copyOf(ok, (int) cut));
            if (cut < 8) assertTrue(e.getMessage().contains("fewer than the 8-byte"), e.getMessage());
            else if (cut < headerEnd) assertTrue(e.getMessage().contains("header claims"), e.getMessage());
            else assertTrue(e.getMessage().contains("past the end") && e.entry() != null, e.getMessage());
        }
    }

    @Test
    void hugeHeaderLengthIsRefusedBeforeAnythingIsAllocated() throws Exception {
        byte[] bytes = valid();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);       // 2^64 - 1
        refused("max.safetensors", bytes, "18446744073709551615", "limit");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        refused("tera.safetensors", bytes, String.valueOf(1L << 40), "limit");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 50_000_000L); // under the limit, over the file
        refused("long.safetensors", bytes, "header claims 50000000");
    }

    @Test
    void offsetsPastTheEndOfTheFileNameTheTensor() throws Exception {
        refused("past.safetensors", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 0, 0, 0, 0),
                "'w'", "past the end", "holds 4 bytes");
    }

    @Test
    void offsetsThatDoNotMatchDtypeTimesShapeNameTheTensor() throws Exception {
        refused("size.safetensors", file("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", new int[8]),
                "'w'", "span 8 bytes", "needs 12");
    }

    @Test
    void unknownDtypeNamesTheTensorTheDtypeAndTheKnownOnes() throws Exception {
        refused("dtype.safetensors", file("{\"w\":{\"dtype\":\"float32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new int[4]),
                "'w'", "unknown dtype 'float32'", "BF16", "F32");
    }

    @Test
    void negativeOrFractionalDimensionsAreRefused() throws Exception {
        refused("neg.safetensors", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,0]}}"),
                "'w'", "non-negative integer");
        refused("frac.safetensors", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new int[4]),
                "'w'", "non-negative integer");
        refused("big.safetensors", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,4]}}", new int[4]),
                "'w'", "above");
    }

    @Test
    void overlappingGappedOrIncompleteRangesAreRefused() throws Exception {
        refused("overlap.safetensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new int[8]), "'b'", "overlap");
        refused("gap.safetensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new int[8]),
                "'a'", "gap");
        refused("tail.safetensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new int[12]),
                "extra bytes");
    }

    @Test
    void malformedJsonAndMalformedEntriesAreRefused() throws Exception {
        refused("json.safetensors", file("{\"a\": {"), "not valid JSON");
        refused("array.safetensors", file("[1,2]"), "not a JSON object");
        refused("dup.safetensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"), "not valid JSON", "Duplicate");
        refused("nooffsets.safetensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0]}}"), "'a'", "data_offsets");
        refused("meta.safetensors", file("{\"__metadata__\":{\"n\":1}}"), "__metadata__", "not a string");
        refused("reversed.safetensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", new int[4]),
                "'a'", "reversed");
    }
}
