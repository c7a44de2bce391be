package dev.tune4j.recipe;

import java.util.Arrays;
import dev.tune4j.audit.FoldModel;
import dev.tune4j.data.Example;
import dev.tune4j.io.IoErrors;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The slow, thorough label audit: per fold, a LoRA fine-tuning run ({@link FineTune}, the same
 * recipe as {@code tune4j train}) on the fold's training rows, 10% of them held back for its
 * validation, then its classifier's probabilities for the held-out rows. Each fold's run folder
 * stays under {@code dir} for inspection.
 */
final class LoraFolds implements FoldModel {
    private final String model;
    private final List<Example> rows;
    private final List<String> labels;
    private final int maxLength, epochs;
    private final long seed;
    private final Path dir;

    LoraFolds(String model, List<Example> rows, List<String> labels, int maxLength, int epochs, long seed, Path dir) {
        this.model = model;
        this.rows = rows;
        this.labels = labels;
        this.maxLength = maxLength;
        this.epochs = epochs;
        this.seed = seed;
        this.dir = dir;
    }

    @Override
    public double[][] fitPredict(int[] train, int[] heldOut, int fold) {
        Path foldDir = dir.resolve("fold-" + fold);
        Path file = foldDir.resolve("train.jsonl");
        try {
            Files.createDirectories(foldDir);
            StringBuilder sb = new StringBuilder();
            for (int i : train) sb.append(Json.line(Map.of("text", rows.get(i).texts[0], "label", rows.get(i).label))).append('\n');
            Files.writeString(file, sb);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write fold " + fold + " to " + foldDir + ": " + IoErrors.describe(e), e);
        }
        RecipeLoader.Resolved recipe = Recipe.builder()
                .set("model", model).set("task", "classification").set("method", "lora")
                .set("data.train", file.toString()).set("data.validation", 0.1).set("data.prepare", false)
                .set("data.labels", labels).set("data.max_length", maxLength)
                .set("optimizer.lr", 1e-3).set("schedule.warmup_steps", 10)
                .set("train.epochs", epochs).set("train.seed", seed + fold).set("eval.every", 0)
                .set("output", foldDir.resolve("run").toString()).build();
        try (FineTune.Run run = FineTune.run(recipe, FineTune.Options.quiet().withOverwrite(true))) {
            List<TextClassifier.Prediction> p = run.classifier().predict(Arrays.stream(heldOut).mapToObj(i -> rows.get(i).texts[0]).toList());
            double[][] out = new double[heldOut.length][labels.size()];
            for (int i = 0; i < out.length; i++) for (int c = 0; c < labels.size(); c++) out[i][c] = p.get(i).probabilities().get(labels.get(c));
            return out;
        }
    }
}
