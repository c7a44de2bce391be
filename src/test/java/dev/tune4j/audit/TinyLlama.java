package dev.tune4j.audit;

import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A small random Llama (64 positions) with the MiniLM WordPiece tokenizer, as a Hugging Face folder. */
public final class TinyLlama {
    private TinyLlama() {}

    public static Path write(Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("llama"));
        Parity.writeHfFolder(RandomCheckpoints.build("llama", Map.of("vocab_size", 30522, "max_position_embeddings", 64), 5), model);
        try (InputStream in = TinyLlama.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, model.resolve("tokenizer.json"));
        }
        return model;
    }
}
