package dev.tune4j.recipe;

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
 * The small version of the fine-tuning study (the full one is `bench/study.sh` on the SpamAssassin
 * file, see BENCHMARKS.md): every arm on the same fixed split of a generated topic data set, each
 * scored once on the held-out rows.
 */
class StudyTest {
    @TempDir
    Path dir;

    /** FineTuneTest's topic rows under the study's field names (text, label). */
    private Path textAndLabel(int n, long seed) throws Exception {
        Path raw = FineTuneTest.topics(dir.resolve("raw-" + seed + ".jsonl"), n, seed);
        Path out = dir.resolve("topics-" + seed + ".jsonl");
        Files.writeString(out, Files.readString(raw).replace("\"body\"", "\"text\"").replace("\"topic\"", "\"label\""));
        return out;
    }

    @Test
    void everyArmTrainsOnTheSameSplitAndIsScoredOnTheHeldOutRows() throws Exception {
        Path data = textAndLabel(120, 11);
        List<Map<String, Object>> rows = new ArrayList<>();
        Study.run("builtin:all-minilm-l6-v2", data, 40, 16, 40, 24, 2, List.of("ngram", "head", "lora", "scratch"), dir.resolve("study"), 42, rows::add);
        assertEquals(List.of("ngram", "head", "lora", "scratch"), rows.stream().map(r -> r.get("arm")).toList());
        for (Map<String, Object> r : rows) {
            System.out.println("STUDY " + r);
            assertEquals(40, ((Number) r.get("held_out")).intValue(), "every arm is scored on the same held-out rows");
            double acc = ((Number) r.get("accuracy")).doubleValue();
            assertTrue(acc >= 0 && acc <= 1, r.toString());
        }
        double lora = ((Number) rows.get(2).get("macro_f1")).doubleValue();
        assertTrue(lora >= 0.9, "LoRA on the pre-trained encoder separates two keyword topics: " + rows.get(2));
        double scratch = ((Number) rows.get(3).get("macro_f1")).doubleValue();
        assertTrue(lora > scratch + 0.2, "fine-tuning beats the same architecture from scratch on 40 rows: " + lora + " vs " + scratch);
        assertTrue(((Number) rows.get(2).get("trainable_parameters")).longValue() < ((Number) rows.get(3).get("trainable_parameters")).longValue() / 10,
                "LoRA trains a small part of what training from scratch does");
        for (String f : List.of("train.jsonl", "validation.jsonl", "heldout.jsonl")) assertTrue(Files.exists(dir.resolve("study/split").resolve(f)), f);
        assertEquals(40, Files.readAllLines(dir.resolve("study/split/heldout.jsonl")).size());
    }

    @Test
    void anUnknownArmOrTooFewRowsIsAClearError() throws Exception {
        Path data = textAndLabel(30, 12);
        String m = assertThrows(IllegalArgumentException.class,
                () -> Study.run("builtin:all-minilm-l6-v2", data, 10, 5, 10, 24, 1, List.of("bogus"), dir.resolve("s1"), 42, r -> {})).getMessage();
        assertTrue(m.contains("bogus"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> Study.run("builtin:all-minilm-l6-v2", data, 100, 50, 100, 24, 1, List.of("ngram"), dir.resolve("s2"), 42, r -> {})).getMessage();
        assertTrue(m.contains("fewer than"), m);
    }
}
