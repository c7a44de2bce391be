package dev.tune4j.cli;

import dev.tune4j.io.OutputFolder;
import dev.tune4j.recipe.AlignmentStudy;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "alignment", mixinStandardHelpOptions = true,
        description = "The alignment study: a small Llama pre-trained on general text (e.g. ../shared/data/moby-dick.jsonl), SFT on State of the "
                + "Union passages (../shared/data/sotu.jsonl, with year), a reward model on modern-vs-old pairs, DPO, PPO and GRPO; held-out samples "
                + "scored by a separate n-gram judge of the era, the reward model, KL to the SFT policy and general perplexity.")
public final class BenchAlignmentCommand implements Callable<Integer> {
    @Option(names = "--general", required = true, paramLabel = "FILE", description = "general text for pre-training and forgetting, JSONL rows with text")
    Path general;

    @Option(names = "--sotu", required = true, paramLabel = "FILE", description = "State of the Union addresses, JSONL rows with year and text")
    Path sotu;

    @Option(names = "--scale", defaultValue = "full", description = "full (up to an hour on two cores) or small (under a minute) (default: ${DEFAULT-VALUE})")
    String scale;

    @Option(names = "--out", defaultValue = "runs/alignment", description = "default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--json", description = "one JSON object per row")
    boolean json;

    @Override
    public Integer call() {
        for (Path p : new Path[] {general, sotu}) if (!Files.isRegularFile(p)) throw new IllegalArgumentException(p + ": no such file");
        AlignmentStudy.Scale s = switch (scale) {
            case "full" -> AlignmentStudy.Scale.FULL;
            case "small" -> AlignmentStudy.Scale.SMALL;
            default -> throw new IllegalArgumentException("--scale: full or small, got " + scale);
        };
        OutputFolder.requireWritable(out, "--out");
        if (!json) System.out.printf("%-14s %12s %12s %12s %12s %12s %8s%n", "policy", "judge modern", "RM score", "KL to SFT", "sample ppl", "general ppl", "s");
        AlignmentStudy.run(general, sotu, out, s, seed, msg -> { if (!json) System.out.println("# " + msg); }, row -> {
            if (json) System.out.println(Json.line(row));
            else if (row.containsKey("judge_modern_rate")) System.out.printf(Locale.ROOT, "%-14s %12.3f %12.3f %12.3f %12.2f %12.2f %8.0f%n", row.get("row"),
                    num(row, "judge_modern_rate"), num(row, "reward_model_score"), num(row, "kl_to_sft"), num(row, "sample_ppl_under_sft"),
                    num(row, "general_perplexity"), num(row, "seconds"));
            else System.out.println("# " + row);
        });
        return 0;
    }

    private static double num(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }
}
