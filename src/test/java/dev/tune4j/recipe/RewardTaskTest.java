package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * task: reward on a small random Llama: Bradley-Terry on preference rows raises held-out pairwise
 * accuracy; the saved folder is a LlamaForSequenceClassification with one label and problem_type
 * regression (what transformers loads as a reward model), and RewardModel scores with it.
 */
class RewardTaskTest {
    @TempDir
    Path dir;

    @Test
    void bradleyTerryLearnsHeldOutPairsAndSavesAOneLabelRegressionClassifier() throws Exception {
        Path model = PreferenceTaskTest.model(dir), data = PreferenceTaskTest.pairs(dir);
        var recipe = Recipe.builder().set("model", model.toString()).set("task", "reward")
                .set("data.train", data.toString()).set("data.validation", 0.25).set("data.max_length", 48).set("data.prepare", false)
                .set("method", "full").set("optimizer.lr", 2e-3).set("train.epochs", 6).set("train.batch_size", 4)
                .set("schedule.name", "constant").set("output", dir.resolve("rm").toString());
        try (FineTune.Run run = FineTune.run(recipe.build(), FineTune.Options.quiet())) {
            JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
            double before = res.path("validation_before").path("accuracy").asDouble(), after = res.path("validation").path("accuracy").asDouble();
            System.out.printf("reward task: held-out pairwise accuracy %.2f -> %.2f, margin %.3f%n", before, after, res.path("validation").path("margin").asDouble());
            assertTrue(after >= 0.9, "held-out pairwise accuracy " + after);
            JsonNode config = Json.MAPPER.readTree(run.dir().resolve("model/config.json").toFile());
            assertEquals("LlamaForSequenceClassification", config.path("architectures").get(0).asText());
            assertEquals("regression", config.path("problem_type").asText());
            assertEquals(1, config.path("id2label").size());

            try (RewardModel rm = RewardModel.load(run.dir(), null)) {
                double[] s = rm.score(List.of("Greet Anna in French.", "Greet Anna in French."), List.of("Bonjour, Anna!", "Hola, Anna!"));
                assertTrue(s[0] > s[1], "chosen " + s[0] + " vs rejected " + s[1]);
            }
        }
    }
}
