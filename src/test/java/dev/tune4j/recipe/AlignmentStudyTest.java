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
 * The alignment study's small version (the full one is `tune4j bench alignment`, figures in
 * BENCHMARKS.md): SFT on State of the Union passages, a reward model on modern-vs-old pairs, a
 * character n-gram judge of the era, DPO, PPO and GRPO from the SFT policy, each scored on held-out
 * prompts. Uses ../shared/data (skips without it).
 */
class AlignmentStudyTest {
    @TempDir
    Path dir;

    @Test
    void everyPolicyIsJudgedRewardedComparedWithSftAndScoredForForgetting() throws Exception {
        Path general = SharedData.require("moby-dick.jsonl"), sotu = SharedData.require("sotu.jsonl");
        List<Map<String, Object>> seen = new ArrayList<>();
        List<Map<String, Object>> rows = AlignmentStudy.run(general, sotu, dir, AlignmentStudy.Scale.SMALL, 42, m -> System.out.println("# " + m), seen::add);
        for (Map<String, Object> row : seen) System.out.println("ALIGNMENT " + row);
        assertEquals(List.of("judge", "reward model", "sft", "dpo", "ppo", "grpo"), rows.stream().map(r -> r.get("row")).toList());
        assertTrue(num(rows.getFirst(), "held_out_accuracy") > 0.7, "the judge tells modern from old prose on held-out addresses: " + rows.getFirst());
        Map<String, Object> sft = rows.get(2);
        assertEquals(0, num(sft, "kl_to_sft"), 1e-6, "the SFT policy is its own reference");
        for (Map<String, Object> r : rows.subList(2, rows.size())) {
            for (String k : List.of("judge_modern_rate", "reward_model_score", "kl_to_sft", "sample_ppl_under_sft", "general_perplexity")) {
                assertTrue(Double.isFinite(num(r, k)), r.get("row") + " " + k + ": " + r);
            }
            assertTrue(num(r, "general_perplexity") > 1 && num(r, "sample_ppl_under_sft") > 1, r.toString());
        }
        assertTrue(Files.exists(dir.resolve("alignment.json")));
    }

    private static double num(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }
}
