package dev.tune4j.recipe;

import dev.tune4j.report.Json;
import dev.tune4j.report.RunReport;
import dev.tune4j.report.TrainingProgress;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Java API of a fine-tuning run, and what {@code tune4j train} calls:
 * <pre>{@code
 * var recipe = Recipe.builder()
 *         .set("model", "builtin:all-minilm-l6-v2").set("data.train", "mails.jsonl")
 *         .set("method", "lora").set("output", "runs/spam").build();
 * try (FineTune.Run run = FineTune.run(recipe, FineTune.Options.quiet())) {
 *     System.out.println(run.results().get("validation"));
 *     System.out.println(run.classifier().predict("WIN A FREE CRUISE!!!").label());
 * }
 * try (TextClassifier c = FineTune.load(Path.of("runs/spam"), null)) { ... }
 * }</pre>
 */
public final class FineTune {
    private FineTune() {}

    /**
     * @param overwrite empty an existing run folder first
     * @param json      evaluations as JSON lines on {@code out}; otherwise a line of text each
     */
    public record Options(boolean overwrite, boolean json, PrintStream out, TrainingProgress progress) {
        /** Nothing printed, no bar: for programs and tests. */
        public static Options quiet() {
            return new Options(false, true, new PrintStream(PrintStream.nullOutputStream()), TrainingProgress.none());
        }

        public Options withOverwrite(boolean on) {
            return new Options(on, json, out, progress);
        }

        /** An evaluation worth showing: a JSON line, or a line of text above the bar. */
        void report(Map<String, Object> line, String text) {
            if (json) out.println(Json.line(line));
            else progress.message(text);
        }
    }

    /** A finished run: its folder, its results (as results.json holds them) and the trained classifier. */
    public record Run(Path dir, Map<String, Object> results, TextClassifier classifier) implements AutoCloseable {
        @Override
        public void close() {
            if (classifier != null) classifier.close();
        }
    }

    public static Run run(Path recipe, List<String> sets, Options options) {
        return run(RecipeLoader.load(recipe, sets), options);
    }

    /** Trains as the recipe says; writes the run folder (config, metrics, results, data report, model or adapter, report.html). */
    public static Run run(RecipeLoader.Resolved resolved, Options options) {
        Recipe r = resolved.recipe();
        try (RunFolder folder = RunFolder.create(Path.of(r.output()), options.overwrite())) {
            try {
                folder.writeText(RunFolder.CONFIG, resolved.yaml());
                Run run = r.task().equals("causal_lm") ? CausalLmTask.run(resolved, folder, options) : ClassificationTask.run(resolved, folder, options);
                RunReport.write(folder.dir());
                return run;
            } catch (RuntimeException e) {
                folder.discardIfUnused();
                throw e;
            }
        }
    }

    /**
     * Readies a base model for an adapter that tune4j trained: a classification adapter needs the
     * base turned into its classifier (labels and pooling from the tune4j-run.json beside the
     * adapter) before PEFT's keys can be matched. Other adapters need nothing.
     */
    public static void prepareForAdapter(dev.tune4j.model.PretrainedModel base, Path adapter) {
        Artifacts.prepareForAdapter(base, adapter);
    }

    /**
     * A classifier from a run folder (its saved model or adapter), a Hugging Face classifier folder,
     * or a base model plus a PEFT adapter folder ({@code adapter} non-null).
     */
    public static TextClassifier load(Path runOrModel, Path adapter) {
        return Artifacts.load(runOrModel, adapter);
    }
}
