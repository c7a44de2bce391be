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
class LanguageModelTaskTest {
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

    /** Text of another "domain": the same shape of sentence about other things. */
    private Path general(int rows) throws Exception {
        String[] who = {"the farmer", "an old man", "the teacher"}, did = {"planted", "sold", "bought"}, what = {"corn", "a horse", "bread"};
        SplittableRandom rng = new SplittableRandom(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            sb.append(Json.line(Map.of("text", who[rng.nextInt(3)] + " " + did[rng.nextInt(3)] + " " + what[rng.nextInt(3)] + "."))).append('\n');
        }
        Path f = dir.resolve("general-" + rows + ".jsonl");
        Files.writeString(f, sb);
        return f;
    }

    @Test
    void replayGeneralPerplexitySamplesAndL2SpReportWhatTheyDid() throws Exception {
        Path model = tinyLlama(), data = text(80);
        RecipeLoader.Builder b = recipe(model, data, "full").set("train.epochs", 2).set("eval.every", 4)
                .set("replay.data", general(200).toString()).set("replay.ratio", 0.25)
                .set("eval.general", general(40).toString()).set("regularization.l2_sp", 0.01)
                .set("eval.samples", java.util.List.of("the cat")).set("eval.sample_tokens", 6);
        try (FineTune.Run run = FineTune.run(b.build(), FineTune.Options.quiet())) {
            JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
            JsonNode replay = res.path("replay");
            int domain = replay.path("domain_rows").asInt(), drawn = replay.path("replay_rows").asInt();
            assertTrue(domain > 0);
            assertEquals(Math.round(domain * 0.25 / 0.75), drawn, "replay rows: a quarter of the mixed stream");
            JsonNode f = res.path("forgetting");
            System.out.printf("LM forgetting: domain %.1f -> %.1f, general %.1f -> %.1f (%+.0f%%), distance %.3f%n",
                    f.path("domain_perplexity_before").asDouble(), f.path("domain_perplexity_after").asDouble(),
                    f.path("general_perplexity_before").asDouble(), f.path("general_perplexity_after").asDouble(),
                    100 * f.path("general_change").asDouble(), res.path("distance_from_start").asDouble());
            assertTrue(f.path("domain_perplexity_after").asDouble() < f.path("domain_perplexity_before").asDouble(), "domain perplexity falls");
            assertEquals(res.path("general_before").path("perplexity").asDouble(), f.path("general_perplexity_before").asDouble(), 1e-6);
            assertTrue(res.path("distance_from_start").asDouble() > 0);
            java.util.List<String> metrics = Files.readAllLines(run.dir().resolve("metrics.jsonl"));
            assertEquals(2, metrics.stream().filter(l -> l.contains("\"split\":\"general\"")).count(), "general scored before and after");
            java.util.List<String> samples = Files.readAllLines(run.dir().resolve("samples.jsonl"));
            assertTrue(samples.getFirst().contains("\"step\":0"), "a sample before training");
            assertTrue(samples.size() >= 3, "and one per evaluation: " + samples);
            assertEquals(1, res.path("samples").size());
        }
    }
}
