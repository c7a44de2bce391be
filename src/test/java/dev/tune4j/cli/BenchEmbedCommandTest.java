package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** `tune4j bench embed` as a user runs it: the JSON fields, and clear errors for bad sizes (no timing is asserted). */
class BenchEmbedCommandTest {

    @Test
    void jsonLineCarriesTheSizesAndThroughput() throws Exception {
        ModelCommandsTest.Run r = ModelCommandsTest.run("bench", "embed", "--batch", "2", "--seq", "9", "--threads", "1",
                "--warmup", "1", "--runs", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = r.jsonLines().getFirst();
        assertEquals("builtin:all-minilm-l6-v2", o.path("model").asText());
        assertEquals(2, o.path("batch").asInt());
        assertEquals(9, o.path("seq").asInt());
        assertEquals(1, o.path("threads").asInt());
        assertTrue(o.path("tokens_per_s").asDouble() > 0, o.toString());
        assertTrue(o.path("ms_per_batch").asDouble() > 0, o.toString());
    }

    @Test
    void syntheticIdsAreDeterministicAndInTheVocabulary() {
        int[] a = BenchEmbedCommand.syntheticIds(3, 5, 30522), b = BenchEmbedCommand.syntheticIds(3, 5, 30522);
        assertArrayEquals(a, b);
        assertEquals(15, a.length);
        for (int id : a) assertTrue(id >= 1000 && id < 30522, "id " + id);
    }

    @Test
    void badSizesGiveClearErrors() {
        ModelCommandsTest.Run r = ModelCommandsTest.run("bench", "embed", "--seq", "0");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--seq must be at least 1"), r.err());
        r = ModelCommandsTest.run("bench", "embed", "--batch", "1", "--seq", "600", "--warmup", "0", "--runs", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("exceeds the model's 512 positions"), r.err());
    }
}
