package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.audit.TinyLlama;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.tune4j.cli.DataPrepareCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataAuditCommandTest {
    @TempDir
    Path dir;

    private static final String[][] TOPICS = {
            {"invoice", "payment", "bank", "loan", "interest", "price", "budget", "salary", "tax", "refund"},
            {"football", "goal", "match", "team", "striker", "league", "referee", "tennis", "race", "score"}};

    /** Two keyword topics (money, sport), 80 rows; rows 3, 11, 19, ... (every 8th from 3) carry the other topic's label. */
    private Path topics(Set<String> flipped) throws Exception {
        SplittableRandom rng = new SplittableRandom(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 80; i++) {
            int c = i % 2;
            StringBuilder t = new StringBuilder("about the ");
            for (int w = 0; w < 8; w++) t.append(TOPICS[c][rng.nextInt(10)]).append(' ');
            boolean flip = i % 8 == 3;
            if (flip) flipped.add("m" + i);
            sb.append(Json.line(Map.of("id", "m" + i, "body", t.toString().strip(), "topic", (c == 0) != flip ? "money" : "sport"))).append('\n');
        }
        Path f = dir.resolve("topics.jsonl");
        Files.writeString(f, sb);
        return f;
    }

    @Test
    void aLabelAuditFindsThePlantedFlipsAndDropMovesThemToRejects() throws Exception {
        Set<String> flipped = new HashSet<>();
        Path data = topics(flipped), out = dir.resolve("audit");
        Object[] r = run("data", "audit", "--model", "builtin:all-minilm-l6-v2", "--data", data.toString(), "--task", "classification",
                "--field", "text=body", "--field", "label=topic", "--max-length", "24", "--out", out.toString(), "--drop", "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode j = Json.MAPPER.readTree(((String) r[1]).strip());
        assertEquals(80, j.get("rows").asInt());

        List<JsonNode> issues = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("label-issues.jsonl"))) issues.add(Json.MAPPER.readTree(line));
        assertEquals(j.get("flagged").asInt(), issues.size());
        Set<String> ids = new HashSet<>();
        for (JsonNode i : issues) {
            assertEquals(List.of("id", "given_label", "suggested_label", "score", "text"), fieldNames(i));
            assertFalse(i.get("given_label").asText().equals(i.get("suggested_label").asText()));
            ids.add(i.get("id").asText());
        }
        for (int k = 1; k < issues.size(); k++) assertTrue(issues.get(k - 1).get("score").asDouble() <= issues.get(k).get("score").asDouble(), "ranked by score");
        long found = flipped.stream().filter(ids::contains).count();
        System.out.printf("AUDIT topics: %d flips, %d flagged, %d of them flips%n", flipped.size(), ids.size(), found);
        // Measured: 7 of the 10 flips and no other row (64 training rows per fold, 1 in 8 of them wrong). The floors leave
        // room for one more miss and one false flag.
        assertTrue(found >= 6 && ids.size() - found <= 1, "found " + found + " of " + flipped + " in " + ids);

        List<String> rejects = Files.readAllLines(out.resolve("rejects.jsonl"));
        assertEquals(issues.size(), rejects.size());
        assertEquals("label_issue", Json.MAPPER.readTree(rejects.getFirst()).get("reason").asText());
        assertEquals(80 - issues.size(), Files.readAllLines(out.resolve("kept.jsonl")).size());
        JsonNode report = Json.MAPPER.readTree(out.resolve("audit-report.json").toFile());
        long pairs = 0;
        for (JsonNode p : report.get("issue_pairs")) pairs += p.get("rows").asLong();
        assertEquals(issues.size(), pairs, "the class pairs count every flagged row");
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("Label audit") && html.contains("Confident joint") && html.contains(issues.getFirst().get("id").asText()));

        // The same audit, report only, into the same folder: same flags, no stale drop files.
        Object[] again = run("data", "audit", "--model", "builtin:all-minilm-l6-v2", "--data", data.toString(), "--task", "classification",
                "--field", "text=body", "--field", "label=topic", "--max-length", "24", "--out", out.toString());
        assertEquals(0, again[0], (String) again[2]);
        assertTrue(((String) again[1]).contains("flagged"), (String) again[1]);
        assertEquals(issues.size(), Files.readAllLines(out.resolve("label-issues.jsonl")).size(), "deterministic for the seed");
        assertFalse(Files.exists(out.resolve("rejects.jsonl")));
    }

    @Test
    void theLoraMethodFineTunesOneRunPerFold() throws Exception {
        Path data = topics(new HashSet<>()), out = dir.resolve("lora-audit");
        Object[] r = run("data", "audit", "--model", "builtin:all-minilm-l6-v2", "--data", data.toString(), "--task", "classification",
                "--field", "text=body", "--field", "label=topic", "--method", "lora", "--folds", "2", "--epochs", "2", "--max-length", "16",
                "--out", out.toString(), "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode report = Json.MAPPER.readTree(out.resolve("audit-report.json").toFile());
        assertEquals("lora", report.get("method").asText());
        assertEquals(80, report.get("rows").asInt());
        for (int f = 0; f < 2; f++) {
            JsonNode results = Json.MAPPER.readTree(out.resolve("lora-folds/fold-" + f + "/run/results.json").toFile());
            assertEquals(36, results.get("rows").get("train").asInt(), "a fold trains on the other folds' rows less a tenth for validation");
        }
        System.out.printf("AUDIT lora folds: held-out %s, %d flagged%n", report.get("held_out"), report.get("issues").asInt());
        assertTrue(report.get("held_out").get("accuracy").asDouble() > 0.6, "the fold models learnt something: " + report.get("held_out"));
    }

    @Test
    void aResponseAuditScoresEveryRowAndDropsWhatTheThresholdsSay() throws Exception {
        Path model = TinyLlama.write(dir), data = dir.resolve("sft.jsonl"), out = dir.resolve("sft-audit");
        StringBuilder sb = new StringBuilder();
        String[] outputs = {"the cat sat on the mat", "", "a dog walked to the harbour", "buy now buy now buy now buy now buy now"};
        for (int i = 0; i < outputs.length; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("instruction", "say something");
            row.put("output", outputs[i]);
            sb.append(Json.line(row)).append('\n');
        }
        Files.writeString(data, sb);
        Object[] r = run("data", "audit", "--model", model.toString(), "--data", data.toString(), "--task", "sft", "--max-repetition", "0.5",
                "--out", out.toString(), "--drop", "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode j = Json.MAPPER.readTree(((String) r[1]).strip());
        assertEquals(4, j.get("rows").asInt());
        assertEquals(2, j.get("flagged").asInt());
        assertEquals(1, j.get("reasons").get("empty_response").asInt());
        assertEquals(1, j.get("reasons").get("repetition_above").asInt());
        List<String> scores = Files.readAllLines(out.resolve("response-scores.jsonl"));
        assertEquals(4, scores.size());
        JsonNode first = Json.MAPPER.readTree(scores.getFirst());
        assertEquals("sft.jsonl:1", first.get("id").asText().replaceAll(".*/", ""), "no id field: the source and line");
        assertTrue(first.get("response").get("loss").asDouble() > 0);
        assertEquals(2, Files.readAllLines(out.resolve("kept.jsonl")).size());
        List<String> reasons = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("rejects.jsonl"))) reasons.add(Json.MAPPER.readTree(line).get("reason").asText());
        assertEquals(List.of("empty_response", "repetition_above"), reasons);
        assertTrue(Files.readString(out.resolve("report.html")).contains("Response audit"));
    }

    @Test
    void badOptionsAreOneLineErrors() throws Exception {
        Set<String> flipped = new HashSet<>();
        Path data = topics(flipped);
        Object[] r = run("data", "audit", "--model", "builtin:all-minilm-l6-v2", "--data", data.toString(), "--task", "regression", "--out", dir.resolve("x").toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("--task must be classification, sft or preference"), (String) r[2]);
        r = run("data", "audit", "--model", "builtin:all-minilm-l6-v2", "--data", data.toString(), "--task", "classification", "--max-loss", "3", "--out", dir.resolve("x").toString());
        assertTrue(((String) r[2]).contains("apply to --task sft or preference"), (String) r[2]);
        r = run("data", "audit", "--model", "builtin:all-minilm-l6-v2", "--data", data.toString(), "--task", "classification", "--folds", "1", "--out", dir.resolve("x").toString());
        assertTrue(((String) r[2]).contains("--folds must be in [2, 100]"), (String) r[2]);
        r = run("data", "audit", "--model", "builtin:all-minilm-l6-v2", "--data", data.toString(), "--task", "sft", "--field", "text=body", "--out", dir.resolve("x").toString());
        assertTrue(((String) r[2]).contains("--task sft needs instruction rows"), (String) r[2]);
        assertEquals(1, ((String) r[2]).strip().lines().count(), (String) r[2]);
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
