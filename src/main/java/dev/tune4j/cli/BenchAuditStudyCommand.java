package dev.tune4j.cli;

import dev.tune4j.io.OutputFolder;
import dev.tune4j.recipe.AuditStudy;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "audit-study", mixinStandardHelpOptions = true,
        description = {"The label-noise study: flip a share of the training labels, then LoRA on the noisy rows, on a few clean ones,",
                "on the noisy rows after the label audit dropped its flags, and on the clean rows; each scored once on the fine-tuning",
                "study's held-out rows (e.g. --data ../shared/data/spam-assassin.jsonl)."})
public final class BenchAuditStudyCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "labelled rows (text, label)")
    Path data;

    @Option(names = "--model", defaultValue = "builtin:all-minilm-l6-v2", description = "default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--train", defaultValue = "3000", description = "training rows (default: ${DEFAULT-VALUE})")
    int train;

    @Option(names = "--small", defaultValue = "300", description = "clean rows of the small arm (default: ${DEFAULT-VALUE})")
    int small;

    @Option(names = "--noise", defaultValue = "0.2", description = "share of training labels flipped (default: ${DEFAULT-VALUE})")
    double noise;

    @Option(names = "--study-train", defaultValue = "400", description = "the fine-tuning study's training rows, before its validation rows (default: ${DEFAULT-VALUE})")
    int studyTrain;

    @Option(names = "--validation", defaultValue = "100", description = "validation rows (default: ${DEFAULT-VALUE})")
    int validation;

    @Option(names = "--held-out", defaultValue = "1000", description = "rows scored once per arm (default: ${DEFAULT-VALUE})")
    int heldOut;

    @Option(names = "--max-length", defaultValue = "64", description = "tokens per text (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--epochs", defaultValue = "1", description = "epochs over the training rows; the small arm gets train/small times more (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--arms", split = ",", defaultValue = "noisy,small,audited,clean", description = "default: ${DEFAULT-VALUE}")
    List<String> arms;

    @Option(names = "--out", defaultValue = "runs/audit-study", description = "default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--json", description = "one JSON object per arm")
    boolean json;

    @Override
    public Integer call() {
        if (train < 2 || validation < 1 || heldOut < 1 || studyTrain < 0) throw new IllegalArgumentException("--train must be >= 2, --validation and --held-out >= 1, --study-train >= 0");
        if (studyTrain > train) throw new IllegalArgumentException("--study-train " + studyTrain + " is above --train " + train);
        if (epochs < 1 || epochs > 1000) throw new IllegalArgumentException("--epochs must be in [1, 1000], got " + epochs);
        if (maxLength < 8 || maxLength > 512) throw new IllegalArgumentException("--max-length must be in [8, 512], got " + maxLength);
        if (!Files.isRegularFile(data)) throw new IllegalArgumentException("--data " + data + ": no such file");
        OutputFolder.requireWritable(out, "--out");
        Map<String, Double> f1 = new HashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        AuditStudy.run(model, data, new AuditStudy.Draw(train, small, noise, studyTrain, validation, heldOut), maxLength, epochs, arms, out, seed, row -> {
            if (!json && rows.isEmpty()) System.out.printf("%-8s %7s %6s %9s %9s %10s %8s%n", "arm", "rows", "steps", "accuracy", "macro_f1", "audit P/R", "wall_s");
            rows.add(row);
            f1.put((String) row.get("arm"), ((Number) row.get("macro_f1")).doubleValue());
            if (json) System.out.println(Json.line(row));
            else System.out.printf("%-8s %7s %6s %9.4f %9.4f %10s %8.1f%n", row.get("arm"), row.get("train_rows"), row.get("steps"), row.get("accuracy"),
                    row.get("macro_f1"), row.containsKey("precision") ? String.format("%.2f/%.2f", row.get("precision"), row.get("recall")) : "", row.get("wall_s"));
        });
        if (!json && f1.keySet().containsAll(List.of("noisy", "audited", "clean"))) {
            double gap = f1.get("clean") - f1.get("noisy");
            System.out.printf("noisy -> clean macro-F1 gap %.4f; the audited arm closes %s of it%n", gap,
                    gap == 0 ? "none" : String.format("%.0f%%", 100 * (f1.get("audited") - f1.get("noisy")) / gap));
        }
        return 0;
    }
}
