package dev.tune4j.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Counts the tokens a text would take, for the token-length filters and histograms. The default is
 * an approximation; for exact counts in the target model's tokenizer load its {@code tokenizer.json}
 * ({@link #huggingFace}), or adapt any tokenizer with a lambda: {@code text -> tok.encode(text).length}.
 */
@FunctionalInterface
public interface TokenCounter {
    int count(String text);

    /** A short name for reports. */
    default String name() {
        return "custom";
    }

    /**
     * Words, numbers and punctuation marks each count one, and a long word one per 6 characters:
     * close to what subword tokenizers give for English prose, with no model at hand.
     */
    static TokenCounter approximate() {
        return new TokenCounter() {
            @Override
            public int count(String s) {
                int tokens = 0, run = 0;
                for (int i = 0; i < s.length(); ) {
                    int cp = s.codePointAt(i);
                    i += Character.charCount(cp);
                    if (Character.isLetterOrDigit(cp)) {
                        run++;
                        continue;
                    }
                    if (run > 0) tokens += (run + 5) / 6;
                    run = 0;
                    if (!Character.isWhitespace(cp) && !Character.isSpaceChar(cp)) tokens++;
                }
                if (run > 0) tokens += (run + 5) / 6;
                return tokens;
            }

            @Override
            public String name() {
                return "approximate (words and punctuation)";
            }
        };
    }

    /**
     * The Hugging Face tokenizer in a {@code tokenizer.json} (or a folder holding one), loaded
     * offline through DJL's bundled native library; special tokens and truncation are off so
     * that the count is the text's own length.
     */
    static TokenCounter huggingFace(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("tokenizer not found: " + file);
        return new HuggingFaceTokenCounter(file);
    }
}
