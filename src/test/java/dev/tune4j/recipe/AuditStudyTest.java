package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The small version of the label-noise study (the full one is `tune4j bench audit-study` on the
 * SpamAssassin file, see BENCHMARKS.md): generated topic rows, every arm scored on the held-out rows
 * the fine-tuning study would score, the audited arm through a recipe's {@code data.audit: drop}.
 */
class AuditStudyTest {
    @TempDir
    Path dir;

    private Path topics(int n) throws Exception {
        Path raw = FineTuneTest.topics(dir.resolve("raw.jsonl"), n, 21);
        Path out = dir.resolve("topics.jsonl");
        Files.writeString(out, Files.readString(raw).replace("\"body\"", "\"text\"").replace("\"topic\"", "\"label\""));
        return out;
    }

    @Test
    void everyArmIsScoredOnTheStudysHeldOutRowsAndTheAuditedArmDropsFlaggedRows() throws Exception {
        Path data = topics(110);
        List<Map<String, Object>> rows = new ArrayList<>();
        AuditStudy.Draw draw = new AuditStudy.Draw(64, 16, 0.2, 12, 8, 24);
        AuditStudy.run("builtin:all-minilm-l6-v2", data, draw, 16, 2, AuditStudy.ARMS, dir.resolve("study"), 42, rows::add);
        assertEquals(AuditStudy.ARMS, rows.stream().map(r -> r.get("arm")).toList());
        for (Map<String, Object> r : rows) {
            System.out.println("AUDIT-STUDY " + r);
            assertEquals(24, ((Number) r.get("held_out")).intValue());
        }
        Map<String, Object> noisy = rows.get(0), small = rows.get(1), audited = rows.get(2), clean = rows.get(3);
        assertEquals(64, ((Number) noisy.get("train_rows")).intValue());
        assertEquals(16, ((Number) small.get("train_rows")).intValue());
        assertEquals(noisy.get("steps"), small.get("steps"), "the small arm trains as many updates as the full ones (batches of 16 divide both)");
        int flagged = ((Number) audited.get("flagged")).intValue();
        assertEquals(64 - flagged, ((Number) audited.get("train_rows")).intValue(), "the audit's flags leave the training rows");
        assertEquals(13, ((Number) audited.get("flips")).intValue());
        assertTrue(((Number) audited.get("recall")).doubleValue() >= 0.5 && ((Number) audited.get("precision")).doubleValue() >= 0.5,
                "keyword topics: the audit finds most flips: " + audited);
        assertTrue(((Number) clean.get("macro_f1")).doubleValue() >= 0.9, "the clean ceiling separates two keyword topics: " + clean);

        JsonNode results = Json.MAPPER.readTree(dir.resolve("study/audited/results.json").toFile());
        assertEquals(flagged, results.get("audit").get("dropped").asInt());
        assertTrue(Files.exists(dir.resolve("study/audited/audit/report.html")));
        assertEquals(flagged, Files.readAllLines(dir.resolve("study/audited/audit/rejects.jsonl")).size());

        // The held-out rows are the fine-tuning study's for the same seed and sizes.
        Study.run("builtin:all-minilm-l6-v2", data, 12, 8, 24, 16, 1, List.of("ngram"), dir.resolve("ft-study"), 42, r -> {});
        assertEquals(texts(dir.resolve("ft-study/split/heldout.jsonl")), texts(dir.resolve("study/split/heldout.jsonl")));
    }

    @Test
    void aBadDrawIsAClearError() throws Exception {
        Path data = topics(40);
        String m = assertThrows(IllegalArgumentException.class, () -> AuditStudy.run("builtin:all-minilm-l6-v2", data,
                new AuditStudy.Draw(60, 15, 0.2, 20, 16, 40), 24, 1, AuditStudy.ARMS, dir.resolve("s"), 42, r -> {})).getMessage();
        assertTrue(m.contains("fewer than"), m);
        m = assertThrows(IllegalArgumentException.class, () -> AuditStudy.run("builtin:all-minilm-l6-v2", data,
                new AuditStudy.Draw(20, 5, 0.2, 5, 5, 5), 24, 1, List.of("bogus"), dir.resolve("s"), 42, r -> {})).getMessage();
        assertTrue(m.contains("bogus"), m);
    }

    @Test
    void dataAuditTakesNoneReportOrDropAndOnlyForClassification() {
        RecipeLoader.Builder b = Recipe.builder().set("model", "m").set("data.train", "t.jsonl").set("output", "o");
        assertEquals("none", b.build().recipe().data().audit());
        String m = assertThrows(IllegalArgumentException.class, () -> b.set("data.audit", "fix").build()).getMessage();
        assertTrue(m.contains("'data.audit' must be one of none, report, drop"), m);
        m = assertThrows(IllegalArgumentException.class, () -> b.set("data.audit", "report").set("task", "causal_lm").build()).getMessage();
        assertTrue(m.contains("tune4j data audit --task sft"), m);
    }

    private static List<String> texts(Path f) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(f)) out.add(Json.MAPPER.readTree(line).get("text").asText());
        return out;
    }
}
