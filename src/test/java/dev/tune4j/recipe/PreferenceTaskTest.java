package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.BpeFiles;
import dev.tune4j.tokenizer.BpeModel;
import dev.tune4j.tokenizer.BpeTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * task: dpo / orpo / simpo end to end on a small random Llama: preference rows through the chat
 * template, the held-out reward accuracy and margin rise, every step logs the implicit rewards,
 * and a LoRA run saves an adapter.
 */
class PreferenceTaskTest {
    @TempDir
    Path dir;

    static final String[] NAMES = {"Anna", "Ben", "Carla", "Dev", "Emil", "Fatima", "Goran", "Hana", "Ivo", "June", "Kai", "Lena"};
    static final String[][] LANGS = {{"French", "Bonjour"}, {"Spanish", "Hola"}, {"German", "Hallo"}};

    /** Chosen: the greeting in the language asked for; rejected: the next language's. */
    static Path pairs(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String name : NAMES) {
            for (int l = 0; l < LANGS.length; l++) {
                String[] right = LANGS[l], wrong = LANGS[(l + 1) % LANGS.length];
                sb.append(Json.line(Map.of("prompt", "Greet " + name + " in " + right[0] + ".", "chosen", right[1] + ", " + name + "!",
                        "rejected", wrong[1] + ", " + name + "!"))).append('\n');
            }
        }
        return Files.writeString(dir.resolve("pairs.jsonl"), sb);
    }

    /** A small random Llama with a BPE tokenizer trained on the task's words (ChatML template). */
    static Path model(Path dir) throws Exception {
        BpeTrainer trainer = new BpeTrainer(300, 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        for (String name : NAMES) for (String[] lang : LANGS) trainer.add("Greet " + name + " in " + lang[0] + ". " + lang[1] + ", " + name + "! user assistant system");
        BpeModel bpe = trainer.train();
        Path model = Files.createDirectories(dir.resolve("base"));
        Parity.writeHfFolder(RandomCheckpoints.build("llama", Map.of("vocab_size", bpe.vocabSize(), "max_position_embeddings", 64,
                "bos_token_id", 0, "eos_token_id", 0), 1), model);
        BpeFiles.write(bpe, model, 64);
        return model;
    }

    private RecipeLoader.Builder recipe(String task, Path model, Path data, String out) {
        return Recipe.builder().set("model", model.toString()).set("task", task)
                .set("data.train", data.toString()).set("data.validation", 0.25).set("data.max_length", 48).set("data.prepare", false)
                .set("method", "lora").set("lora.r", 8).set("lora.dropout", 0.0).set("optimizer.lr", 1e-2).set("train.epochs", 4)
                .set("train.batch_size", 4).set("schedule.name", "constant").set("log.every", 1).set("output", dir.resolve(out).toString());
    }

    @Test
    void dpoRaisesHeldOutAccuracyAndLogsTheImplicitRewards() throws Exception {
        Path model = model(dir), data = pairs(dir);
        try (FineTune.Run run = FineTune.run(recipe("dpo", model, data, "dpo").set("preference.beta", 0.5).build(), FineTune.Options.quiet())) {
            JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
            JsonNode before = res.path("validation_before"), after = res.path("validation");
            System.out.printf("DPO task: held-out loss %.4f -> %.4f, accuracy %.2f -> %.2f, margin %.3f -> %.3f%n", before.path("loss").asDouble(),
                    after.path("loss").asDouble(), before.path("accuracy").asDouble(), after.path("accuracy").asDouble(),
                    before.path("margin").asDouble(), after.path("margin").asDouble());
            assertEquals(Math.log(2), before.path("loss").asDouble(), 1e-4, "before training the policy is its reference");
            assertEquals(0, before.path("margin").asDouble(), 1e-4);
            assertTrue(after.path("accuracy").asDouble() >= 0.9, "held-out accuracy " + after);
            assertTrue(after.path("margin").asDouble() > 0.5, "held-out margin " + after);
            String firstTrain = Files.readAllLines(run.dir().resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"train\"")).findFirst().orElseThrow();
            for (String key : List.of("rewards/chosen", "rewards/rejected", "margin", "accuracy", "logps/chosen", "logps/rejected")) {
                assertTrue(firstTrain.contains("\"" + key + "\""), key + " logged: " + firstTrain);
            }
            assertTrue(Files.isRegularFile(run.dir().resolve("adapter/adapter_model.safetensors")), "LoRA saves a PEFT adapter");
        }
    }

    @Test
    void ipoUnderFullFineTuningStartsAtItsClosedFormAndLearns() throws Exception {
        Path model = model(dir), data = pairs(dir);
        try (FineTune.Run run = FineTune.run(recipe("dpo", model, data, "ipo").set("method", "full").set("optimizer.lr", 3e-5)
                .set("preference.loss", "ipo").set("preference.beta", 0.5).build(), FineTune.Options.quiet())) {
            JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
            double before = res.path("validation_before").path("loss").asDouble(), after = res.path("validation").path("loss").asDouble();
            System.out.printf("IPO task (full): held-out loss %.4f -> %.4f, accuracy %.2f%n", before, after, res.path("validation").path("accuracy").asDouble());
            assertEquals(1.0, before, 1e-3, "(1 / (2 beta))^2 with the policy as its own reference");
            // IPO regresses each training pair's log-ratio gap onto 1 / (2 beta): the training loss falls, held-out pairs are ranked
            List<String> train = Files.readAllLines(run.dir().resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"train\"")).toList();
            double last = Json.MAPPER.readTree(train.getLast()).path("loss").asDouble();
            assertTrue(last < before / 2, "IPO training loss " + before + " -> " + last);
            assertTrue(after < before / 2, "IPO held-out loss " + before + " -> " + after);
            assertTrue(res.path("validation").path("accuracy").asDouble() >= 0.9, "held-out accuracy " + res.path("validation"));
            assertTrue(Files.isRegularFile(run.dir().resolve("model/model.safetensors")), "full fine-tuning saves the model");
        }
    }

    @Test
    void orpoAndSimpoTrainWithoutAReference() throws Exception {
        Path model = model(dir), data = pairs(dir);
        for (String task : List.of("orpo", "simpo")) {
            try (FineTune.Run run = FineTune.run(recipe(task, model, data, task).set("preference.beta", 2.0).build(), FineTune.Options.quiet())) {
                JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
                double acc = res.path("validation").path("accuracy").asDouble(), before = res.path("validation_before").path("margin").asDouble();
                double margin = res.path("validation").path("margin").asDouble();
                System.out.printf("%s task: held-out margin %.3f -> %.3f, accuracy %.2f%n", task, before, margin, acc);
                assertTrue(margin > before, task + ": margin " + before + " -> " + margin);
                assertTrue(acc >= 0.9, task + ": accuracy " + acc);
            }
        }
    }

    @Test
    void preferenceKnobsAreChecked() {
        var e = assertThrows(IllegalArgumentException.class, () -> Recipe.builder().set("model", "m").set("task", "orpo").set("preference.loss", "ipo")
                .set("data.train", "x").set("output", "o").build());
        assertTrue(e.getMessage().contains("ipo"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Recipe.builder().set("model", "m").set("task", "dpo").set("preference.betta", 1)
                .set("data.train", "x").set("output", "o").build());
        assertTrue(e.getMessage().contains("preference.beta"), e.getMessage());
    }
}
