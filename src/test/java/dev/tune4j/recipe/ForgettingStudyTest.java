package dev.tune4j.recipe;

import dev.tune4j.data.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forgetting study's small version (the full one is `tune4j bench forgetting`, figures in
 * BENCHMARKS.md): a tiny Llama pre-trained on Moby-Dick chapters with its own BPE tokenizer, then
 * fine-tuned on State of the Union addresses six ways. Uses ../shared/data (skips without it).
 */
class ForgettingStudyTest {
    @TempDir
    Path dir;

    @Test
    void everyArmReportsDomainAndGeneralPerplexityBeforeAndAfter() throws Exception {
        Path general = SharedData.require("moby-dick.jsonl"), domain = SharedData.require("sotu.jsonl");
        List<Map<String, Object>> seen = new ArrayList<>();
        List<Map<String, Object>> arms = ForgettingStudy.run(general, domain, dir, ForgettingStudy.Scale.SMALL, 42, m -> {}, seen::add);
        for (Map<String, Object> row : seen) System.out.println("FORGETTING " + row);
        assertEquals(ForgettingStudy.ARMS.size(), arms.size());
        assertEquals("pre-training", seen.getFirst().get("arm"));
        double generalBefore = num(arms.getFirst(), "general_perplexity_before");
        for (Map<String, Object> a : arms) {
            assertEquals(generalBefore, num(a, "general_perplexity_before"), 1e-9, "every arm starts from the same pre-trained model");
            assertTrue(num(a, "domain_perplexity_after") < num(a, "domain_perplexity_before"), a.get("arm") + " learns the domain: " + a);
        }
        Map<String, Object> full = arms.getFirst(), lora = arms.get(2);
        assertTrue(((Number) lora.get("trainable")).longValue() < ((Number) full.get("trainable")).longValue() / 3);
        assertTrue(Files.exists(dir.resolve("forgetting.json")));
    }

    private static double num(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }
}
