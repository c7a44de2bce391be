package dev.tune4j.recipe;

import dev.tune4j.model.PretrainedModel;
import dev.tune4j.train.Batches;
import dev.tune4j.train.Evaluator;
import dev.tune4j.train.Trainer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What every task does once its data, model and objective are wired: score the validation split
 * before training, attach the checkpoints (or resume from one), train with the run's log and
 * progress bar, score validation at the best step and the test split once, save the method's
 * result and write results.json. The tasks only say how their batches are made.
 *
 * @param <B> the task's batch type
 */
final class TrainingRun<B> {
    private final RecipeLoader.Resolved resolved;
    private final RunFolder folder;
    private final FineTune.Options opts;
    private final long started;
    private final Map<String, List<B>> alsoScored = new LinkedHashMap<>();
    private Samples samples;

    TrainingRun(RecipeLoader.Resolved resolved, RunFolder folder, FineTune.Options opts, long started) {
        this.resolved = resolved;
        this.folder = folder;
        this.opts = opts;
        this.started = started;
    }

    /**
     * Another held-out set scored before training and after it, besides validation (a general-domain
     * set: the change of its perplexity measures forgetting). It does not steer early stopping.
     */
    TrainingRun<B> alsoScore(String split, List<B> batches) {
        alsoScored.put(split, batches);
        return this;
    }

    /** Generations for fixed prompts before training and at each evaluation. */
    TrainingRun<B> sampleAtEvaluation(Samples s) {
        this.samples = s;
        return this;
    }

    /**
     * @param test      the test split's batches, made only when there is one (null: no test split)
     * @param extra     task-specific results (labels, ...) placed after the common ones
     */
    Map<String, Object> run(String task, PretrainedModel base, RunData data, double dataSeconds, Trainer<B> trainer, Batches<B> train,
                            List<B> validation, Supplier<List<B>> test, Methods.Counts counts, Map<String, Object> extra,
                            Artifacts.Method method, Artifacts.Trainable trainable) {
        Recipe r = resolved.recipe();
        Evaluator.Evaluation before = trainer.evaluate(validation);
        Map<String, Evaluator.Evaluation> othersBefore = new LinkedHashMap<>();
        alsoScored.forEach((split, batches) -> othersBefore.put(split, trainer.evaluate(batches)));
        if (!RunCheckpoints.of(resolved, folder, base, data, opts).attach(trainer)) {
            folder.logMetrics(RunLogger.evalLine("validation", 0, 0, before));
            opts.report(RunLogger.evalLine("validation", 0, 0, before), RunLogger.describe("validation", 0, before) + "  (before training)");
            othersBefore.forEach((split, ev) -> {
                folder.logMetrics(RunLogger.evalLine(split, 0, 0, ev));
                opts.report(RunLogger.evalLine(split, 0, 0, ev), RunLogger.describe(split, 0, ev) + "  (before training)");
            });
            if (samples != null) samples.log(0);
        }
        RunLogger logger = new RunLogger(folder, opts.progress(), opts.out(), opts.json(), r.log().every(), samples);
        Trainer.Result result;
        try (var progress = opts.progress()) {
            result = trainer.fit(train, () -> validation, logger);
        }
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("task", task);
        results.put("method", r.method());
        results.put("model", r.model());
        results.put("best_step", result.bestStep());
        results.put("steps", result.steps());
        results.put("stopped_early", result.stoppedEarly());
        results.put("parameters", counts.json());
        results.putAll(extra);
        results.put("rows", Map.of("train", data.train().size(), "validation", data.validation().size(), "test", data.test().size(),
                "leaked_into_validation_or_test", data.leaks().size()));
        results.put("validation_before", summary(before));
        Evaluator.Evaluation after = trainer.evaluate(validation);
        results.put("validation", summary(after));
        for (var e : alsoScored.entrySet()) {
            Evaluator.Evaluation ev = trainer.evaluate(e.getValue());
            folder.logMetrics(RunLogger.evalLine(e.getKey(), result.steps(), -1, ev));
            opts.report(RunLogger.evalLine(e.getKey(), result.steps(), -1, ev), RunLogger.describe(e.getKey(), result.steps(), ev) + "  (after training)");
            results.put(e.getKey() + "_before", summary(othersBefore.get(e.getKey())));
            results.put(e.getKey(), summary(ev));
            if (e.getKey().equals("general")) results.put("forgetting", forgetting(before, after, othersBefore.get("general"), ev));
        }
        if (!Double.isNaN(trainer.distanceFromStart())) results.put("distance_from_start", trainer.distanceFromStart());
        if (samples != null) results.put("samples", samples.last());
        if (!data.test().isEmpty()) {
            Evaluator.Evaluation scored = trainer.evaluate(test.get());
            results.put("test", summary(scored));
            folder.logMetrics(RunLogger.evalLine("test", result.steps(), -1, scored));
            opts.report(RunLogger.evalLine("test", result.steps(), -1, scored), RunLogger.describe("test", result.steps(), scored) + "  (scored once)");
        }
        results.put("timing", Map.of("data_s", dataSeconds, "train_s", logger.trainSeconds(), "total_s", (System.nanoTime() - started) / 1e9,
                "tokens_per_s", logger.trainSeconds() > 0 ? logger.tokens() / logger.trainSeconds() : 0, "steps", result.steps()));
        Path saved = method.save(folder, base, trainable, r, data.cleaning());
        results.put("saved", folder.dir().relativize(saved).toString());
        folder.writeJson(RunFolder.RESULTS, results);
        return results;
    }

    /**
     * Domain (validation) and general held-out perplexity before and after training, and their
     * relative change: fine-tuning should lower the first; a rise of the second is forgetting.
     */
    private static Map<String, Object> forgetting(Evaluator.Evaluation domainBefore, Evaluator.Evaluation domainAfter,
                                                  Evaluator.Evaluation generalBefore, Evaluator.Evaluation generalAfter) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain_perplexity_before", Math.exp(domainBefore.loss()));
        m.put("domain_perplexity_after", Math.exp(domainAfter.loss()));
        m.put("general_perplexity_before", Math.exp(generalBefore.loss()));
        m.put("general_perplexity_after", Math.exp(generalAfter.loss()));
        m.put("general_change", Math.exp(generalAfter.loss() - generalBefore.loss()) - 1);
        return m;
    }

    /** An evaluation as results.json holds it: loss, metrics, examples, then details (per class, confusion). */
    static Map<String, Object> summary(Evaluator.Evaluation ev) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss", ev.loss());
        m.putAll(new java.util.TreeMap<>(ev.metrics()));
        m.put("examples", ev.count());
        m.putAll(ev.details());
        return m;
    }
}
