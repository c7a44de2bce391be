package dev.tune4j.cli;

import dev.tune4j.io.OutputFolder;
import dev.tune4j.recipe.Study;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "study", mixinStandardHelpOptions = true,
        description = "The fine-tuning study: head only, LoRA, partial, full and from-scratch training of one classifier on the same "
                + "fixed split of a labelled file (e.g. ../shared/data/spam-assassin.jsonl), each scored once on the held-out rows.")
public final class BenchStudyCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "labelled rows (text, label)")
    Path data;

    @Option(names = "--model", defaultValue = "builtin:all-minilm-l6-v2", description = "default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--train", defaultValue = "400", description = "training rows (default: ${DEFAULT-VALUE})")
    int train;

    @Option(names = "--validation", defaultValue = "100", description = "validation rows for early stopping (default: ${DEFAULT-VALUE})")
    int validation;

    @Option(names = "--held-out", defaultValue = "1000", description = "rows scored once per arm (default: ${DEFAULT-VALUE})")
    int heldOut;

    @Option(names = "--max-length", split = ",", defaultValue = "128", description = "tokens per text; several for a sweep, e.g. 128,256")
    List<Integer> maxLengths;

    @Option(names = "--epochs", defaultValue = "5", description = "default: ${DEFAULT-VALUE}")
    int epochs;

    @Option(names = "--arms", split = ",", defaultValue = "head,lora,partial,full,scratch", description = "default: ${DEFAULT-VALUE}")
    List<String> arms;

    @Option(names = "--out", defaultValue = "runs/study", description = "default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--json", description = "one JSON object per arm")
    boolean json;

    @Override
    public Integer call() {
        if (train < 2 || validation < 1 || heldOut < 1) throw new IllegalArgumentException("--train must be >= 2, --validation and --held-out >= 1");
        if (epochs < 1 || epochs > 1000) throw new IllegalArgumentException("--epochs must be in [1, 1000], got " + epochs);
        for (int maxLength : maxLengths) {
            if (maxLength < 8 || maxLength > 512) throw new IllegalArgumentException("--max-length must be in [8, 512], got " + maxLength);
        }
        if (!Files.isRegularFile(data)) throw new IllegalArgumentException("--data " + data + ": no such file");
        OutputFolder.requireWritable(out, "--out");
        boolean[] header = {json};    // printed with the first result, so a study that fails on its input prints nothing
        for (int maxLength : maxLengths) {
            Study.run(model, data, train, validation, heldOut, maxLength, epochs, arms, out, seed, row -> {
                if (!header[0]) System.out.printf("%-8s %6s %9s %9s %12s %10s %8s%n", "arm", "tokens", "accuracy", "macro_f1", "trainable", "peak_rss", "wall_s");
                header[0] = true;
                if (json) System.out.println(Json.line(row));
                else System.out.printf("%-8s %6d %9.4f %9.4f %,12d %8.0fMB %8.1f%n", row.get("arm"), row.get("max_length"), row.get("accuracy"),
                        row.get("macro_f1"), ((Number) row.get("trainable_parameters")).longValue(), row.get("peak_rss_mb"), row.get("wall_s"));
            });
        }
        return 0;
    }
}
