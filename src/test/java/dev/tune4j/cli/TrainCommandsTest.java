package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tune4j train, eval and predict as a user runs them, including hostile input: one clear line, exit 1, no stack trace. */
class TrainCommandsTest {
    @TempDir
    Path dir;

    private Path data(int n) throws Exception {
        String[][] words = {{"invoice", "payment", "overdue", "refund", "billing"}, {"football", "goal", "league", "striker", "referee"}};
        SplittableRandom rng = new SplittableRandom(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            StringBuilder t = new StringBuilder();
            for (int w = 0; w < 8; w++) t.append(words[i % 2][rng.nextInt(5)]).append(' ');
            sb.append(Json.line(Map.of("id", "r" + i, "text", t.append(i).toString(), "label", i % 2 == 0 ? "money" : "sport"))).append('\n');
        }
        Path f = dir.resolve("rows.jsonl");
        Files.writeString(f, sb);
        return f;
    }

    private Path recipe(Path data, String out) throws Exception {
        Path r = dir.resolve("recipe.yaml");
        Files.writeString(r, """
                model: builtin:all-minilm-l6-v2
                data: {train: %s, validation: 0.25, max_length: 24}
                method: lora
                optimizer: {lr: 2.0e-3}
                train: {epochs: 2, batch_size: 8}
                output: %s
                """.formatted(data, out));
        return r;
    }

    private static void assertCleanError(ModelCommandsTest.Run r, String... parts) {
        assertEquals(1, r.code(), "exit status; stderr: " + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "'" + p + "' missing from: " + r.err());
    }

    @Test
    void trainThenEvalAndPredictOnTheRunFolder() throws Exception {
        Path rows = data(48), run = dir.resolve("run");
        ModelCommandsTest.Run t = ModelCommandsTest.run("train", recipe(rows, run.toString()).toString(), "--json");
        assertEquals(0, t.code(), t.err());
        List<JsonNode> lines = t.jsonLines();
        assertTrue(lines.stream().anyMatch(l -> l.path("type").asText().equals("eval") && l.has("accuracy")), "an eval line with accuracy: " + t.out());
        assertEquals("result", lines.getLast().path("type").asText());

        ModelCommandsTest.Run e = ModelCommandsTest.run("eval", "--model", run.toString(), "--data", rows.toString(), "--json");
        assertEquals(0, e.code(), e.err());
        JsonNode m = e.jsonLines().getFirst();
        for (String k : List.of("accuracy", "macro_f1", "loss", "examples", "per_class")) assertTrue(m.has(k), k + " missing: " + m);
        assertEquals(48, m.path("examples").asInt());

        ModelCommandsTest.Run p = ModelCommandsTest.run("predict", "--model", run.toString(), "--input", rows.toString(), "--json");
        assertEquals(0, p.code(), p.err());
        List<JsonNode> preds = p.jsonLines();
        assertEquals(48, preds.size(), "one line per row, in order");
        assertEquals("r0", preds.getFirst().path("id").asText());
        double sum = preds.getFirst().path("probabilities").path("money").asDouble() + preds.getFirst().path("probabilities").path("sport").asDouble();
        assertEquals(1.0, sum, 1e-5);

        assertCleanError(ModelCommandsTest.run("train", recipe(rows, run.toString()).toString()), "already exists", "--overwrite");
    }

    @Test
    void hostileInputEndsInOneClearLine() throws Exception {
        Path rows = data(10);
        assertCleanError(ModelCommandsTest.run("train", dir.resolve("none.yaml").toString()), "none.yaml does not exist");
        Path r = recipe(rows, dir.resolve("x").toString());
        assertCleanError(ModelCommandsTest.run("train", r.toString(), "--set", "train.batch_size=-1"), "'train.batch_size'", "got -1");
        assertCleanError(ModelCommandsTest.run("train", r.toString(), "--set", "train.epochs=1e99"), "'train.epochs' must be a whole number");
        assertCleanError(ModelCommandsTest.run("train", r.toString(), "--set", "data.max_length=0"), "'data.max_length'");
        Path file = Files.writeString(dir.resolve("afile"), "x");
        assertCleanError(ModelCommandsTest.run("train", recipe(rows, file.toString()).toString()), "is not a folder");
        Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"ok\"}\n{not json\n");
        assertCleanError(ModelCommandsTest.run("eval", "--model", dir.resolve("missing").toString(), "--data", rows.toString()), "is not a folder");
        assertCleanError(ModelCommandsTest.run("predict", "--model", dir.toString(), "--text", "a", "--input", rows.toString()), "either --input");
    }
}
