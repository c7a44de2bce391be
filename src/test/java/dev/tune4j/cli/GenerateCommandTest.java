package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `tune4j generate` as a user runs it, on a small random Llama with a real tokenizer. */
class GenerateCommandTest {
    @TempDir
    static Path dir;
    static Path llama;

    @BeforeAll
    static void tinyLlama() throws Exception {
        llama = Files.createDirectories(dir.resolve("llama"));
        Parity.writeHfFolder(RandomCheckpoints.build("llama", Map.of("vocab_size", 30522, "max_position_embeddings", 64,
                "initializer_range", 0.2), 5), llama);
        try (InputStream in = GenerateCommandTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, llama.resolve("tokenizer.json"));
        }
    }

    private static ModelCommandsTest.Run run(String... args) {
        return ModelCommandsTest.run(args);
    }

    @Test
    void greedyJsonOutputIsReproducibleAndCountsItsTokens() throws Exception {
        String[] args = {"generate", "--model", llama.toString(), "--prompt", "the cat sat", "--max-new-tokens", "6", "--json"};
        ModelCommandsTest.Run a = run(args), b = run(args);
        assertEquals(0, a.code(), a.err());
        JsonNode o = a.jsonLines().getFirst();
        assertEquals("the cat sat", o.path("prompt").asText());
        assertTrue(o.path("new_tokens").asInt() >= 1 && o.path("new_tokens").asInt() <= 6);
        assertTrue(o.path("tokens_per_s").asDouble() >= 0);
        assertEquals(o.path("ids"), b.jsonLines().getFirst().path("ids"), "greedy decoding is deterministic");
    }

    @Test
    void samplingDependsOnTheSeedAndSeveralPromptsDecodeTogether() throws Exception {
        ModelCommandsTest.Run a = run("generate", "--model", llama.toString(), "--prompt", "a dog", "the harbour", "--max-new-tokens", "12",
                "--temperature", "1.5", "--top-k", "50", "--top-p", "0.95", "--seed", "1", "--json");
        ModelCommandsTest.Run b = run("generate", "--model", llama.toString(), "--prompt", "a dog", "the harbour", "--max-new-tokens", "12",
                "--temperature", "1.5", "--top-k", "50", "--top-p", "0.95", "--seed", "2", "--json");
        assertEquals(0, a.code(), a.err());
        assertEquals(2, a.jsonLines().size());
        assertNotEquals(a.jsonLines().get(0).path("ids"), b.jsonLines().get(0).path("ids"), "another seed, another draw");
    }

    @Test
    void textModeStreamsThePromptAndContinuationAndReportsSpeedOnStderr() {
        ModelCommandsTest.Run r = run("generate", "--model", llama.toString(), "--prompt", "the captain", "--max-new-tokens", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("the captain"), r.out());
        assertTrue(r.err().contains("tokens/s"), r.err());
    }

    @Test
    void hostileInputGetsOneClearLine() {
        ModelCommandsTest.Run zero = run("generate", "--model", llama.toString(), "--prompt", "x", "--max-new-tokens", "0");
        assertNotEquals(0, zero.code());
        assertTrue(zero.err().contains("max_new_tokens must be >= 1"), zero.err());
        ModelCommandsTest.Run temp = run("generate", "--model", llama.toString(), "--prompt", "x", "--temperature", "-1");
        assertTrue(temp.err().contains("temperature must be >= 0"), temp.err());
        ModelCommandsTest.Run encoder = run("generate", "--model", "builtin:all-minilm-l6-v2", "--prompt", "x");
        assertNotEquals(0, encoder.code());
        assertTrue(encoder.err().contains("causal language model"), encoder.err());
        ModelCommandsTest.Run tooLong = run("generate", "--model", llama.toString(), "--prompt", "x", "--max-new-tokens", "500");
        assertTrue(tooLong.err().contains("exceed the model's 64 positions"), tooLong.err());
    }

    @Test
    void chatAndTheLanguageModelBenchmarksRefuseBadInputWithOneLine() {
        ModelCommandsTest.Run encoder = run("chat", "--model", "builtin:all-minilm-l6-v2");
        assertNotEquals(0, encoder.code());
        assertTrue(encoder.err().contains("causal language model"), encoder.err());
        ModelCommandsTest.Run missing = run("chat", "--model", dir.resolve("absent").toString());
        assertNotEquals(0, missing.code());
        assertTrue(missing.err().lines().count() == 1, missing.err());
        ModelCommandsTest.Run dtype = run("bench", "decode", "--dtype", "f8", "--tokens", "2", "--runs", "1", "--preset", "gpt2-124m");
        assertTrue(dtype.err().contains("--dtype: f32 or bf16"), dtype.err());
        ModelCommandsTest.Run preset = run("bench", "decode", "--preset", "gpt5");
        assertTrue(preset.err().contains("unknown preset 'gpt5'"), preset.err());
        ModelCommandsTest.Run noData = run("bench", "forgetting", "--general", dir.resolve("none.jsonl").toString(), "--domain", "x.jsonl",
                "--out", dir.resolve("fg").toString());
        assertTrue(noData.err().contains("none.jsonl: no such file"), noData.err());
    }
}
