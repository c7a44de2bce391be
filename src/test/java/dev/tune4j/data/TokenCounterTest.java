package dev.tune4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenCounterTest {

    @Test
    void approximationCountsWordsPunctuationAndLongWordPieces() {
        TokenCounter t = TokenCounter.approximate();
        assertEquals(0, t.count("   "));
        assertEquals(6, t.count("Hello, world! How are"));
        assertEquals(4, t.count("internationalisation"), "20 letters: 4 pieces of up to 6");
    }

    @Test
    void aHuggingFaceTokenizerLoadsOfflineFromALocalFileAndIsNotTruncated(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            assertNotNull(in, "the all-MiniLM-L6-v2 jar is on the test class path");
            Files.copy(in, file);
        }
        TokenCounter bert = TokenCounter.huggingFace(dir);
        assertEquals(2, bert.count("hello world"), "no [CLS]/[SEP]");
        assertEquals(1000, bert.count("word ".repeat(1000)), "this tokenizer.json truncates at 128; counting must not");
        assertTrue(bert.name().contains("tokenizer.json"));
        assertThrows(IllegalArgumentException.class, () -> TokenCounter.huggingFace(dir.resolve("missing.json")));
    }
}
