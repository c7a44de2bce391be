package dev.tune4j.recipe;

import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.BpeFiles;
import dev.tune4j.tokenizer.BpeModel;
import dev.tune4j.tokenizer.BpeTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pre-training from nothing but a config: a folder with config.json and a BPE tokenizer trained by
 * tune4j, no weights, trained as a causal LM with {@code train.init: random}.
 */
class ConfigOnlyModelTest {
    @TempDir
    Path dir;

    /** Rows from a tiny grammar (learnable), as JSONL, and the same rows as text. */
    private List<String> sentences(int rows) {
        String[] who = {"the whale", "a sailor", "the mate", "old Ahab"}, did = {"chased", "watched", "harpooned", "followed"},
                what = {"the boat", "a ship", "the white whale", "the crew"};
        SplittableRandom rng = new SplittableRandom(4);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) out.add(who[rng.nextInt(4)] + " " + did[rng.nextInt(4)] + " " + what[rng.nextInt(4)] + ".");
        return out;
    }

    private Path configOnlyLlama(List<String> corpus) throws Exception {
        BpeTrainer trainer = new BpeTrainer(320, 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        corpus.forEach(trainer::add);
        BpeModel bpe = trainer.train();
        Path model = Files.createDirectories(dir.resolve("scratch"));
        BpeFiles.write(bpe, model, 64);
        Map<String, Object> config = RandomCheckpoints.build("llama", Map.of("vocab_size", bpe.vocabSize(), "max_position_embeddings", 64,
                "bos_token_id", 0, "eos_token_id", 0), 1).config();
        Json.MAPPER.writeValue(model.resolve("config.json").toFile(), config);
        return model;
    }

    private RecipeLoader.Builder recipe(Path model, Path data, String init) {
        return Recipe.builder().set("model", model.toString()).set("task", "causal_lm").set("train.init", init)
                .set("data.train", data.toString()).set("data.validation", 0.2).set("data.max_length", 32)
                .set("method", "full").set("optimizer.lr", 3e-3).set("train.epochs", 3).set("train.batch_size", 4)
                .set("output", dir.resolve("run-" + init).toString());
    }

    private Path jsonl(List<String> rows) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String r : rows) sb.append(Json.line(Map.of("text", r))).append('\n');
        return Files.writeString(dir.resolve("text.jsonl"), sb);
    }

    @Test
    void aConfigAndATrainedTokenizerTrainFromRandomWeights() throws Exception {
        List<String> rows = sentences(200);
        Path model = configOnlyLlama(rows), data = jsonl(rows);
        try (FineTune.Run run = FineTune.run(recipe(model, data, "random").build(), FineTune.Options.quiet())) {
            double before = ((Number) ((Map<?, ?>) run.results().get("validation_before")).get("perplexity")).doubleValue();
            double after = ((Number) ((Map<?, ?>) run.results().get("validation")).get("perplexity")).doubleValue();
            System.out.printf("FROM SCRATCH: held-out perplexity %.1f -> %.1f%n", before, after);
            assertTrue(after < before / 4, "perplexity should fall far from random: " + before + " -> " + after);
            Path saved = run.dir().resolve("model");
            assertTrue(Files.exists(saved.resolve("model.safetensors")));
            try (var back = ClassificationTask.open(saved.toString())) {
                assertEquals("LlamaForCausalLM", back.hfConfig().architecture());
                assertEquals(0, back.requireTokenizer().specialTokens().eos(), "the trained tokenizer travels with the model");
            }
        }
    }

    @Test
    void withoutWeightsAPretrainedStartIsRefusedSayingWhatToDo() throws Exception {
        List<String> rows = sentences(20);
        Path model = configOnlyLlama(rows), data = jsonl(rows);
        var e = assertThrows(IllegalArgumentException.class, () -> FineTune.run(recipe(model, data, "pretrained").build(), FineTune.Options.quiet()));
        assertTrue(e.getMessage().contains("no weights") && e.getMessage().contains("train.init: random"), e.getMessage());
    }
}
