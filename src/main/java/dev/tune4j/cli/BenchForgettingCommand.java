package dev.tune4j.cli;

import dev.tune4j.io.OutputFolder;
import dev.tune4j.recipe.ForgettingStudy;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "forgetting", mixinStandardHelpOptions = true,
        description = "The forgetting study: pre-train a small Llama on general text (e.g. ../shared/data/moby-dick.jsonl), fine-tune it on a "
                + "domain (e.g. ../shared/data/sotu.jsonl) six ways, and report domain and general held-out perplexity before and after.")
public final class BenchForgettingCommand implements Callable<Integer> {
    @Option(names = "--general", required = true, paramLabel = "FILE", description = "general text, one document or chapter per JSONL row (text)")
    Path general;

    @Option(names = "--domain", required = true, paramLabel = "FILE", description = "domain text, one document per JSONL row (text)")
    Path domain;

    @Option(names = "--scale", defaultValue = "full", description = "full (tens of minutes) or small (a minute) (default: ${DEFAULT-VALUE})")
    String scale;

    @Option(names = "--out", defaultValue = "runs/forgetting", description = "default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--json", description = "one JSON object per arm")
    boolean json;

    @Override
    public Integer call() {
        for (Path p : new Path[] {general, domain}) if (!Files.isRegularFile(p)) throw new IllegalArgumentException(p + ": no such file");
        ForgettingStudy.Scale s = switch (scale) {
            case "full" -> ForgettingStudy.Scale.FULL;
            case "small" -> ForgettingStudy.Scale.SMALL;
            default -> throw new IllegalArgumentException("--scale: full or small, got " + scale);
        };
        OutputFolder.requireWritable(out, "--out");
        if (!json) System.out.printf("%-28s %12s %12s %12s %12s %9s %11s %7s%n", "arm", "domain ppl", "-> after", "general ppl", "-> after",
                "change", "trainable", "s");
        ForgettingStudy.run(general, domain, out, s, seed, msg -> { if (!json) System.out.println("# " + msg); }, row -> {
            if (json) System.out.println(Json.line(row));
            else if (row.get("arm").equals("pre-training")) System.out.printf(Locale.ROOT, "%-28s %12s %12s %12s %12.2f %9s %11s %7.0f%n",
                    "pre-training", "", "", "", num(row, "general_perplexity_after"), "", "", num(row, "seconds"));
            else System.out.printf(Locale.ROOT, "%-28s %12.2f %12.2f %12.2f %12.2f %+8.1f%% %,11d %7.0f%n", row.get("arm"),
                    num(row, "domain_perplexity_before"), num(row, "domain_perplexity_after"), num(row, "general_perplexity_before"),
                    num(row, "general_perplexity_after"), 100 * num(row, "general_change"), ((Number) row.get("trainable")).longValue(), num(row, "seconds"));
        });
        return 0;
    }

    private static double num(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }
}
