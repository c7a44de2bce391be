package dev.tune4j.cli;

import dev.tune4j.kernel.Parallel;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tune4j train} as a child process that a user or the system ends: SIGTERM stops it after
 * the current update with a checkpoint (exit 143); SIGKILL in the middle of a checkpoint write leaves
 * the previous checkpoint to resume from; each resume continues, and the run ends with the model
 * bytes and metrics of a run never interrupted. (bench/kill-resume.sh does the same with 20 kills
 * at random moments.)
 */
class KillResumeTest {
    @TempDir
    Path dir;

    private Path recipe() throws Exception {
        Path model = Files.createDirectories(dir.resolve("bert"));
        Parity.writeHfFolder(RandomCheckpoints.build("bert", Map.of("vocab_size", 30522), 4), model); // dropout 0.1
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, model.resolve("tokenizer.json"));
        }
        String[][] words = {{"invoice", "payment", "overdue", "refund", "billing"}, {"football", "goal", "league", "striker", "referee"}};
        SplittableRandom rng = new SplittableRandom(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 48; i++) {
            StringBuilder t = new StringBuilder();
            for (int w = 0; w < 8; w++) t.append(words[i % 2][rng.nextInt(5)]).append(' ');
            sb.append(Json.line(Map.of("text", t.append(i).toString(), "label", i % 2 == 0 ? "money" : "sport"))).append('\n');
        }
        Files.writeString(dir.resolve("rows.jsonl"), sb);
        Path r = dir.resolve("recipe.yaml");
        Files.writeString(r, """
                model: %s
                data: {train: %s, validation: 0.25, max_length: 24}
                method: full
                optimizer: {lr: 1.0e-3}
                train: {epochs: 2, batch_size: 4, grad_accumulation: 2}
                eval: {every: 2, metric: loss, early_stopping_patience: 3}
                checkpoint: {every: 1}
                log: {every: 1}
                output: OUT
                """.formatted(model, dir.resolve("rows.jsonl")));
        return r;
    }

    /** The recipe with its output set to {@code out}. */
    private Path recipeFor(Path template, String out) throws IOException {
        Path r = dir.resolve(out + ".yaml");
        Files.writeString(r, Files.readString(template).replace("OUT", dir.resolve(out).toString()));
        return r;
    }

    /** tune4j train in a JVM of its own, with this JVM's thread count (a bit-exact resume needs the same). */
    private Process train(String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Dtune4j.threads=" + Parallel.threads(),
                "-cp", System.getProperty("java.class.path"), "dev.tune4j.cli.Main", "train"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    /** Whether a checkpoint is being written (or was, by a process that died): its hidden temporary folder. */
    private static boolean writing(Path ckpts) throws IOException {
        if (!Files.isDirectory(ckpts)) return false;
        try (Stream<Path> s = Files.list(ckpts)) {
            return s.anyMatch(p -> p.getFileName().toString().matches("\\.step-\\d+\\.tmp-.*"));
        }
    }

    /** Polls until {@code done} holds or the process ends; whether it held. */
    private static boolean await(Process p, IoCondition done) throws Exception {
        while (p.isAlive()) {
            if (done.holds()) return true;
            Thread.sleep(0, 200_000);
        }
        return done.holds();
    }

    @FunctionalInterface
    private interface IoCondition {
        boolean holds() throws IOException;
    }

    @Test
    void aRunStoppedBySigtermThenKilledMidCheckpointResumesToTheBytesOfAnUninterruptedOne() throws Exception {
        Path template = recipe(), recipe = recipeFor(template, "run"), ckpts = dir.resolve("run/checkpoints");
        Process whole = train("whole", recipeFor(template, "whole").toString()); // the reference, never interrupted

        Process first = train("first", recipe.toString());
        assertTrue(await(first, () -> Files.isDirectory(ckpts.resolve("step-2"))), "the run reached update 2");
        first.destroy(); // SIGTERM
        assertTrue(first.waitFor(60, TimeUnit.SECONDS));
        String err = Files.readString(dir.resolve("first.err"));
        assertEquals(143, first.exitValue(), err);
        assertTrue(err.contains("stopped (SIGTERM) after update") && err.contains("Continue with: tune4j train " + recipe + " --resume"), err);

        Process second = train("second", recipe.toString(), "--resume");
        boolean midWrite = await(second, () -> writing(ckpts));
        second.destroyForcibly(); // SIGKILL
        assertTrue(second.waitFor(60, TimeUnit.SECONDS));
        assertTrue(midWrite && writing(ckpts), "killed while a checkpoint was being written: " + Files.readString(dir.resolve("second.err")));

        Process third = train("third", "--resume", dir.resolve("run").toString()); // the run folder alone: its config.yaml is the recipe
        assertTrue(third.waitFor(120, TimeUnit.SECONDS) && whole.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, third.exitValue(), Files.readString(dir.resolve("third.err")));
        assertEquals(0, whole.exitValue(), Files.readString(dir.resolve("whole.err")));
        assertTrue(Files.readString(dir.resolve("third.err")).contains("resuming " + dir.resolve("run")));
        assertTrue(!writing(ckpts), "the half-written checkpoint was cleared away");
        assertArrayEquals(Files.readAllBytes(dir.resolve("whole/model/model.safetensors")), Files.readAllBytes(dir.resolve("run/model/model.safetensors")));
        assertEquals(metrics(dir.resolve("whole")), metrics(dir.resolve("run")));
    }

    /** metrics.jsonl less its timings. */
    private static List<String> metrics(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream().map(l -> l.replaceAll(",\"(elapsed_s|tokens_per_s)\":[^,}]*", "")).toList();
    }
}
