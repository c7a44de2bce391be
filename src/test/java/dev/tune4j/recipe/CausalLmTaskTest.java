package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * task: causal_lm on plain text, end to end on a small random Llama (with a real WordPiece
 * tokenizer): packed windows, held-out perplexity falling, an adapter or a whole model saved.
 */
class CausalLmTaskTest {
    @TempDir
    Path dir;

    private Path tinyLlama() throws Exception {
        Path model = Files.createDirectories(dir.resolve("llama"));
        Parity.writeHfFolder(RandomCheckpoints.build("llama", Map.of("vocab_size", 30522, "max_position_embeddings", 64), 5), model);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, model.resolve("tokenizer.json"));
        }
        return model;
    }

    /** Sentences from a tiny grammar: learnable, so held-out perplexity must fall. */
    private Path text(int rows) throws Exception {
        String[] who = {"the cat", "a dog", "my friend", "the captain"}, did = {"sat on", "looked at", "walked to", "sailed past"},
                what = {"the mat", "the harbour", "a whale", "the old ship"};
        SplittableRandom rng = new SplittableRandom(9);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            String s = who[rng.nextInt(4)] + " " + did[rng.nextInt(4)] + " " + what[rng.nextInt(4)] + ". " + who[rng.nextInt(4)] + " " + did[rng.nextInt(4)] + " " + what[rng.nextInt(4)] + ".";
            sb.append(Json.line(Map.of("text", s))).append('\n');
        }
        Path f = dir.resolve("text.jsonl");
        Files.writeString(f, sb);
        return f;
    }

    private RecipeLoader.Builder recipe(Path model, Path data, String method) {
        return Recipe.builder().set("model", model.toString()).set("task", "causal_lm")
                .set("data.train", data.toString()).set("data.validation", 0.2).set("data.max_length", 32)
                .set("method", method).set("optimizer.lr", method.equals("lora") ? 5e-3 : 1e-3)
                .set("train.epochs", 3).set("train.batch_size", 4).set("output", dir.resolve("run-" + method).toString());
    }

    @Test
    void loraOnPlainTextLowersHeldOutPerplexityAndSavesACausalLmAdapter() throws Exception {
        Path model = tinyLlama(), data = text(120);
        try (FineTune.Run run = FineTune.run(recipe(model, data, "lora").build(), FineTune.Options.quiet())) {
            double before = ((Number) ((Map<?, ?>) run.results().get("validation_before")).get("perplexity")).doubleValue();
            double after = ((Number) ((Map<?, ?>) run.results().get("validation")).get("perplexity")).doubleValue();
            System.out.printf("CAUSAL_LM lora: held-out perplexity %.1f -> %.1f%n", before, after);
            assertTrue(after < before / 2, "perplexity should fall well: " + before + " -> " + after);
            JsonNode cfg = Json.MAPPER.readTree(run.dir().resolve("adapter/adapter_config.json").toFile());
            assertEquals("CAUSAL_LM", cfg.path("task_type").asText());
            assertEquals(7, cfg.path("target_modules").size(), "the Llama family's projections");
        }
    }

    @Test
    void aDecoderClassifiesWithItsLastTokenAndSavesTheScoreHeadWithTheAdapter() throws Exception {
        Path model = tinyLlama(), data = FineTuneTest.topics(dir.resolve("topics.jsonl"), 40, 6);
        RecipeLoader.Builder b = Recipe.builder().set("model", model.toString()).set("task", "classification")
                .set("data.train", data.toString()).set("data.validation", 0.25).set("data.text_field", "body").set("data.label_field", "topic")
                .set("data.max_length", 24).set("method", "lora").set("optimizer.lr", 5e-3).set("train.epochs", 2).set("train.batch_size", 8)
                .set("output", dir.resolve("run-cls").toString());
        try (FineTune.Run run = FineTune.run(b.build(), FineTune.Options.quiet())) {
            assertEquals("last_token", Json.MAPPER.readTree(run.dir().resolve("run.json").toFile()).path("pooling").asText());
            JsonNode cfg = Json.MAPPER.readTree(run.dir().resolve("adapter/adapter_config.json").toFile());
            assertEquals("SEQ_CLS", cfg.path("task_type").asText());
            assertEquals("score", cfg.path("modules_to_save").path(0).asText());
            String probe = "the invoice is overdue";
            try (TextClassifier back = FineTune.load(run.dir(), null)) {
                assertEquals(run.classifier().predict(probe), back.predict(probe), "the decoder classifier reloads to the same prediction");
            }
        }
    }

    @Test
    void fullFineTuningSavesAModelThatLoadsBack() throws Exception {
        Path model = tinyLlama(), data = text(60);
        try (FineTune.Run run = FineTune.run(recipe(model, data, "full").set("train.epochs", 1).build(), FineTune.Options.quiet())) {
            assertTrue(Files.exists(run.dir().resolve("model/model.safetensors")));
            try (var back = ClassificationTask.open(run.dir().resolve("model").toString())) {
                assertEquals("LlamaForCausalLM", back.hfConfig().architecture());
            }
        }
    }
}
