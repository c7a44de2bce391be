package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;
import dev.tune4j.report.Json;
import dev.tune4j.report.TrainingProgress;
import dev.tune4j.train.StopRequest;
import dev.tune4j.train.TrainingStoppedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --resume} through the Java API: a run stopped after update k (mid-epoch and at an epoch's
 * end, at and after the best evaluation) and resumed from its run folder saves the same bytes (model or adapter), the same
 * metrics.jsonl lines and the same results as a run never stopped, for full, partial and LoRA
 * training of a small BERT with dropout, gradient accumulation and early stopping on; and a resume
 * against a changed recipe, base model or data is refused with what changed, unless forced.
 */
class ResumeTest {
    @TempDir
    Path dir;

    private Path tinyBert() throws Exception {
        Path model = Files.createDirectories(dir.resolve("bert"));
        Parity.writeHfFolder(RandomCheckpoints.build("bert", Map.of("vocab_size", 30522), 4), model); // hidden_dropout_prob 0.1
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, model.resolve("tokenizer.json"));
        }
        return model;
    }

    /**
     * 36 training rows in micro-batches of 4, 2 per update: 5 updates per epoch, the last of one
     * micro-batch. Validation macro-F1, evaluated every 2 updates and at the epoch's end, peaks at
     * update 2, so early stopping ends the run at update 6 and the best weights are restored.
     */
    private RecipeLoader.Builder recipe(Path model, Path data, String method, String out) {
        return Recipe.builder().set("model", model.toString())
                .set("data.train", data.toString()).set("data.validation", 0.25).set("data.test", 0.0)
                .set("data.text_field", "body").set("data.label_field", "topic").set("data.max_length", 24)
                .set("method", method).set("optimizer.lr", method.equals("lora") ? 5e-3 : 1e-3).set("partial.freeze_layers", 1)
                .set("lora.dropout", 0.1).set("train.epochs", 3).set("train.batch_size", 4).set("train.grad_accumulation", 2)
                .set("eval.every", 2).set("eval.early_stopping_patience", 3)
                .set("checkpoint.every", 3).set("log.every", 1).set("output", dir.resolve(out).toString());
    }

    /** Output as a CLI run with --json would give it; a stop requested when update {@code k} is done. */
    private static FineTune.Options stoppingAfter(int k, StopRequest stop, ByteArrayOutputStream out) {
        TrainingProgress p = new TrainingProgress() {
            public void start(long totalSteps) {}

            public void step(long step, double loss, double tokensPerSecond) {
                if (step == k) stop.request("test");
            }

            public void message(String line) {}

            public void close() {}
        };
        return new FineTune.Options(false, true, new PrintStream(out, true), p).withStop(stop);
    }

    private static FineTune.Options resuming(ByteArrayOutputStream out) {
        return new FineTune.Options(false, true, new PrintStream(out, true), TrainingProgress.none()).withResume(true, false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"full", "partial", "lora"})
    void aStoppedAndResumedRunSavesTheBytesOfAnUninterruptedOne(String method) throws Exception {
        Path model = tinyBert(), data = FineTuneTest.topics(dir.resolve("topics.jsonl"), 48, 5);
        String artifact = method.equals("lora") ? "adapter/adapter_model.safetensors" : "model/model.safetensors";
        try (FineTune.Run run = FineTune.run(recipe(model, data, method, "whole").build(), FineTune.Options.quiet())) {
            System.out.printf("RESUME %s: %s updates, best %s, stopped early %s%n", method, run.results().get("steps"),
                    run.results().get("best_step"), run.results().get("stopped_early"));
        }
        Path whole = dir.resolve("whole");
        for (int k : new int[] {2, 4, 5}) { // the best evaluation's update, one after it in mid-epoch, the epoch's end
            RecipeLoader.Resolved r = recipe(model, data, method, "stop-" + k).build();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class,
                    () -> FineTune.run(r, stoppingAfter(k, new StopRequest(), out)));
            assertEquals(k, e.step());
            try (FineTune.Run run = FineTune.run(r, resuming(out))) {
                Path resumed = run.dir();
                assertArrayEquals(Files.readAllBytes(whole.resolve(artifact)), Files.readAllBytes(resumed.resolve(artifact)),
                        method + " stopped after update " + k + ": " + artifact);
                assertEquals(metrics(whole), metrics(resumed), "metrics.jsonl, no line twice");
                assertEquals(results(whole), results(resumed));
            }
        }
    }

    /** metrics.jsonl without its timings. */
    private static List<JsonNode> metrics(Path run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunFolder.METRICS))) {
            ObjectNode n = (ObjectNode) Json.MAPPER.readTree(line);
            n.remove(List.of("elapsed_s", "tokens_per_s"));
            out.add(n);
        }
        return out;
    }

    private static JsonNode results(Path run) throws Exception {
        ObjectNode n = (ObjectNode) Json.MAPPER.readTree(run.resolve(RunFolder.RESULTS).toFile());
        n.remove("timing");
        return n;
    }

    @Test
    void aResumeAgainstAChangedRecipeModelOrDataIsRefusedNamingWhatChangedUnlessForced() throws Exception {
        Path model = tinyBert(), data = FineTuneTest.topics(dir.resolve("topics.jsonl"), 48, 5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThrows(TrainingStoppedException.class, () -> FineTune.run(recipe(model, data, "lora", "run").build(), stoppingAfter(3, new StopRequest(), out)));

        String lr = assertThrows(IllegalArgumentException.class,
                () -> FineTune.run(recipe(model, data, "lora", "run").set("optimizer.lr", 1e-2).build(), resuming(out))).getMessage();
        assertTrue(lr.contains("the recipe changed (optimizer.lr 0.005 -> 0.01)") && lr.contains("--force"), lr);

        Path moved = Files.move(model, dir.resolve("bert-moved"));
        Parity.writeHfFolder(RandomCheckpoints.build("bert", Map.of("vocab_size", 30522), 5), moved); // other weights
        String base = assertThrows(IllegalArgumentException.class,
                () -> FineTune.run(recipe(moved, data, "lora", "run").build(), resuming(out))).getMessage();
        assertTrue(base.contains("the base model changed (model.safetensors)") && !base.contains("recipe changed"), base);

        FineTuneTest.topics(data, 48, 6);
        String rows = assertThrows(IllegalArgumentException.class,
                () -> FineTune.run(recipe(moved, data, "lora", "run").set("log.every", 5).build(), resuming(out))).getMessage();
        assertTrue(rows.contains("the data changed (the train, validation rows)") && !rows.contains("log.every"), rows);

        try (FineTune.Run run = FineTune.run(recipe(moved, data, "lora", "run").build(), resuming(out).withResume(true, true))) {
            assertTrue(out.toString().contains("resuming with --force"), out.toString());
            assertTrue(Files.exists(run.dir().resolve("adapter/adapter_model.safetensors")));
        }
    }

    @Test
    void aResumeWithNothingToResumeSaysWhy() throws Exception {
        Path model = tinyBert(), data = FineTuneTest.topics(dir.resolve("topics.jsonl"), 48, 5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String none = assertThrows(IllegalArgumentException.class,
                () -> FineTune.run(recipe(model, data, "lora", "never").build(), resuming(out))).getMessage();
        assertTrue(none.contains("does not exist; nothing to resume"), none);
        StopRequest early = new StopRequest();
        early.request("test");
        assertThrows(TrainingStoppedException.class, () -> FineTune.run(recipe(model, data, "lora", "empty").build(), stoppingAfter(1, early, out)));
        String empty = assertThrows(IllegalArgumentException.class,
                () -> FineTune.run(recipe(model, data, "lora", "empty").build(), resuming(out))).getMessage();
        assertTrue(empty.contains("no checkpoint to resume from"), empty);
    }
}
