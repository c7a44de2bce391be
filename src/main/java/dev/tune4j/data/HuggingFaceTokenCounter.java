package dev.tune4j.data;

import dev.tune4j.io.IoErrors;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/** {@link TokenCounter} over a Hugging Face {@code tokenizer.json}. */
final class HuggingFaceTokenCounter implements TokenCounter {
    private final HuggingFaceTokenizer tokenizer;
    private final String name;

    HuggingFaceTokenCounter(Path file) {
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of(
                    "addSpecialTokens", "false",
                    "truncation", "false",       // tokenizer.json files often carry a max length; a count must not stop there
                    "padding", "false",
                    "maxLength", "-1"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load tokenizer " + file + ": " + IoErrors.describe(e), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
        }
        name = "huggingface " + file;
    }

    @Override
    public int count(String text) {
        return tokenizer.encode(text, false, false).getIds().length;
    }

    @Override
    public String name() {
        return name;
    }
}
