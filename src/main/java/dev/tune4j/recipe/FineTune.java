package dev.tune4j.recipe;

import dev.tune4j.report.Json;
import dev.tune4j.report.RunReport;
import dev.tune4j.report.TrainingProgress;
import dev.tune4j.train.StopRequest;

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
     * @param resume    continue the run in the output folder from its newest checkpoint
     * @param force     resume even when the recipe, base model or data changed since the checkpoint
     * @param stop      asks the run to stop after its current update, with a checkpoint
     */
    public record Options(boolean overwrite, boolean json, PrintStream out, TrainingProgress progress,
                          boolean resume, boolean force, StopRequest stop) {
        public Options(boolean overwrite, boolean json, PrintStream out, TrainingProgress progress) {
            this(overwrite, json, out, progress, false, false, new StopRequest());
        }

        /** Nothing printed, no bar: for programs and tests. */
        public static Options quiet() {
            return new Options(false, true, new PrintStream(PrintStream.nullOutputStream()), TrainingProgress.none());
        }

        public Options withOverwrite(boolean on) {
            return new Options(on, json, out, progress, resume, force, stop);
        }

        /** Continue the run from its newest checkpoint; {@code force}: even if what it was started with changed. */
        public Options withResume(boolean on, boolean force) {
            return new Options(overwrite, json, out, progress, on, force, stop);
        }

        public Options withStop(StopRequest s) {
            return new Options(overwrite, json, out, progress, resume, force, s);
        }

        /** A warning: a line above the bar, and a JSON line of type "warning" under {@code json}. */
        void warn(String message) {
            if (json) out.println(Json.line(Map.of("type", "warning", "message", message)));
            progress.message("warning: " + message);
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

    /**
     * Trains as the recipe says; writes the run folder (config, metrics, checkpoints, results, data
     * report, model or adapter, report.html). With {@link Options#resume} it continues the run in
     * the output folder from its newest sound checkpoint and ends with the weights an uninterrupted
     * run would have, bit for bit (given the same thread count).
     *
     * @throws dev.tune4j.train.TrainingStoppedException when {@link Options#stop} asked the run to stop (after a checkpoint)
     */
    public static Run run(RecipeLoader.Resolved resolved, Options options) {
        Recipe r = resolved.recipe();
        Path out = Path.of(r.output());
        if (options.resume() && options.overwrite()) throw new IllegalArgumentException("--resume continues a run folder, --overwrite empties it: give one of them");
        try (RunFolder folder = options.resume() ? RunFolder.existing(out) : RunFolder.create(out, options.overwrite())) {
            try {
                if (!options.resume()) folder.writeText(RunFolder.CONFIG, resolved.yaml()); // a resume rewrites it once its checks pass
                Run run = switch (r.task()) {
                    case "classification" -> ClassificationTask.run(resolved, folder, options);
                    case "dpo", "orpo", "simpo" -> PreferenceTask.run(resolved, folder, options);
                    case "reward" -> RewardTask.run(resolved, folder, options);
                    case "grpo", "ppo" -> RlTask.run(resolved, folder, options);
                    default -> LanguageModelTask.run(resolved, folder, options);
                };
                RunReport.write(folder.dir());
                return run;
            } catch (RuntimeException e) {
                if (!options.resume()) folder.discardIfUnused();
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

    /**
     * A decoder for generation: a run folder, a model, or a model plus a PEFT adapter (applied
     * unmerged). The run's metadata, when there is one, says how its prompts were rendered.
     */
    public static LanguageModel languageModel(String modelOrRun, Path adapter) {
        return LanguageModel.open(modelOrRun, adapter);
    }
}
