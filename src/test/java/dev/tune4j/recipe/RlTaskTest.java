package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * task: grpo and task: ppo wired end to end on a small random Llama with a reward model trained by
 * task: reward: rollouts are sampled and scored, every step logs reward, KL, entropy and clip
 * fraction (ppo: value loss and KL coefficient), the held-out reward is measured before and after,
 * the reference is the policy with its adapters off (KL 0 before training), and the adapter is saved.
 */
class RlTaskTest {
    @TempDir
    Path dir;

    @Test
    void grpoAndPpoRunFromARecipeWithATrainedRewardModel() throws Exception {
        Path model = PreferenceTaskTest.model(dir), data = PreferenceTaskTest.pairs(dir);
        var rm = Recipe.builder().set("model", model.toString()).set("task", "reward").set("data.train", data.toString())
                .set("data.validation", 0.25).set("data.max_length", 48).set("data.prepare", false).set("method", "full")
                .set("optimizer.lr", 2e-3).set("train.epochs", 2).set("train.batch_size", 8).set("output", dir.resolve("rm").toString());
        try (FineTune.Run reward = FineTune.run(rm.build(), FineTune.Options.quiet())) {
            for (String arm : List.of("grpo", "ppo", "grpo full")) {
                String task = arm.split(" ")[0];
                boolean full = arm.endsWith("full");   // the reference is then a second, frozen instance of the checkpoint
                var recipe = Recipe.builder().set("model", model.toString()).set("task", task).set("data.train", data.toString())
                        .set("data.validation", 0.1).set("data.max_length", 48).set("data.prepare", false).set("method", full ? "full" : "lora")
                        .set("rl.reward", reward.dir().toString()).set("rl.prompts", 2).set("rl.samples", 2).set("rl.max_new_tokens", 6)
                        .set("rl.epochs", task.equals("ppo") ? 2 : 1).set("train.max_steps", 3).set("log.every", 1)
                        .set("optimizer.lr", 1e-3).set("output", dir.resolve(arm.replace(' ', '-')).toString());
                try (FineTune.Run run = FineTune.run(recipe.build(), FineTune.Options.quiet())) {
                    JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
                    JsonNode before = res.path("validation_before"), after = res.path("validation");
                    System.out.printf("%s: held-out reward %.3f -> %.3f, KL %.4f -> %.4f%n", task, before.path("reward").asDouble(),
                            after.path("reward").asDouble(), before.path("kl").asDouble(), after.path("kl").asDouble());
                    assertTrue(after.path("kl").asDouble() != 0, arm + ": training moved the policy away from its reference");
                    assertTrue(before.has("reward") && after.has("reward"), res.toString());
                    assertEquals(0, before.path("kl").asDouble(), 1e-4, "before training the reference is the policy");
                    String line = Files.readAllLines(run.dir().resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"train\"")).findFirst().orElseThrow();
                    for (String key : task.equals("ppo") ? List.of("reward", "kl", "entropy", "clip_fraction", "value_loss", "kl_coef")
                            : List.of("reward", "kl", "entropy", "clip_fraction", "kl_k3")) {
                        assertTrue(line.contains("\"" + key + "\""), task + ": " + key + " logged: " + line);
                    }
                    assertTrue(Files.isRegularFile(run.dir().resolve(full ? "model/model.safetensors" : "adapter/adapter_model.safetensors")));
                }
            }
        }
    }

    @Test
    void rlRecipesNeedARewardAndAStepCount() {
        var e = assertThrows(IllegalArgumentException.class, () -> Recipe.builder().set("model", "m").set("task", "grpo").set("train.max_steps", 5)
                .set("data.train", "x").set("output", "o").build());
        assertTrue(e.getMessage().contains("rl.reward"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Recipe.builder().set("model", "m").set("task", "ppo").set("rl.reward", "rm")
                .set("data.train", "x").set("output", "o").build());
        assertTrue(e.getMessage().contains("train.max_steps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Recipe.builder().set("model", "m").set("task", "grpo").set("rl.reward", "rm")
                .set("train.max_steps", 5).set("rl.aggregation", "mean").set("data.train", "x").set("output", "o").build());
        assertTrue(e.getMessage().contains("dr_grpo"), e.getMessage());
    }
}
