package dev.tune4j.recipe;

import dev.tune4j.report.Json;
import dev.tune4j.report.TrainingProgress;
import dev.tune4j.train.Evaluator;
import dev.tune4j.train.Trainer;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run reports as it trains: a metrics.jsonl line every {@code every} updates and at each
 * evaluation, the progress bar, and on stdout one line per evaluation (a JSON object under
 * {@code --json}, where the bar is silent).
 */
final class RunLogger implements Trainer.Listener {
    private final RunFolder folder;
    private final TrainingProgress progress;
    private final PrintStream out;
    private final boolean json;
    private final int every;
    private final Samples samples;
    private final long started = System.nanoTime();
    private long tokens;
    private double trainSeconds;
    private boolean begun;

    /** @param samples generations logged after each evaluation, or null */
    RunLogger(RunFolder folder, TrainingProgress progress, PrintStream out, boolean json, int every, Samples samples) {
        this.samples = samples;
        this.folder = folder;
        this.progress = progress;
        this.out = out;
        this.json = json;
        this.every = every;
    }

    @Override
    public void onStep(Trainer.Step s) {
        if (!begun) {
            progress.start(s.totalSteps());
            begun = true;
        }
        tokens += s.tokens();
        trainSeconds += s.seconds();
        double tps = s.seconds() > 0 ? s.tokens() / s.seconds() : 0;
        progress.step(s.step(), s.loss(), tps);
        if (s.step() % every == 0 || s.step() == s.totalSteps()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "train");
            m.put("step", s.step());
            m.put("epoch", s.epoch() + 1);
            m.put("lr", s.lr());
            m.put("loss", s.loss());
            m.put("grad_norm", s.gradNorm());
            m.putAll(s.metrics());
            m.put("tokens_per_s", tps);
            m.put("elapsed_s", elapsed());
            folder.logMetrics(m);
        }
    }

    @Override
    public void onEval(Trainer.Eval e) {
        Map<String, Object> m = evalLine("validation", e.step(), e.epoch(), e.evaluation());
        m.put("improved", e.improved());
        folder.logMetrics(m);
        if (json) out.println(Json.line(m));
        else progress.message(describe("validation", e.step(), e.evaluation()) + (e.improved() ? "  (best so far)" : ""));
        if (samples != null) samples.log(e.step());
    }

    /** A metrics line for an evaluation of a split. */
    static Map<String, Object> evalLine(String split, int step, int epoch, Evaluator.Evaluation ev) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "eval");
        m.put("split", split);
        m.put("step", step);
        m.put("epoch", epoch);
        m.put("loss", ev.loss());
        m.putAll(new java.util.TreeMap<>(ev.metrics()));
        m.put("examples", ev.count());
        return m;
    }

    static String describe(String split, int step, Evaluator.Evaluation ev) {
        StringBuilder sb = new StringBuilder(String.format("step %d  %s loss %.4f", step, split, ev.loss()));
        for (String k : new String[] {"accuracy", "macro_f1", "perplexity"}) {
            Double v = ev.metrics().get(k);
            if (v != null) sb.append(String.format("  %s %.4f", k, v));
        }
        return sb.toString();
    }

    long tokens() { return tokens; }

    double trainSeconds() { return trainSeconds; }

    double elapsed() { return (System.nanoTime() - started) / 1e9; }
}
