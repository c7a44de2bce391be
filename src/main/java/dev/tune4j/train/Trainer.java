package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.model.WeightMapper;
import dev.tune4j.nn.Module;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.train.optim.AdamW;
import dev.tune4j.train.optim.LrSchedule;
import dev.tune4j.train.optim.Optimizer;
import dev.tune4j.train.optim.ParamGroup;
import dev.tune4j.train.optim.ParamGroups;
import dev.tune4j.train.optim.Sgd;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The training loop, independent of the method. One update:
 * <pre>
 *   for each micro-batch i of the update (up to gradAccumulation, fewer at an epoch's end):
 *       loss_i = objective(batch_i)            mean over its n_i counted items (tokens, examples;
 *                                              with class weights n_i is their summed weight)
 *       refuse a non-finite loss before any weight changes
 *       backward(n_i · loss_i)                 gradients of the summed loss accumulate
 *   g = g / Σ n_i                              the mean over every counted item of the update
 *   g += l2_sp · (w - w_start)                 optional L2-SP pull towards the starting weights ({@link L2Sp})
 *   clip(g) -> schedule -> optimizer step -> zero gradients
 * </pre>
 * so accumulating 4 micro-batches of 2 equals one batch of 8, whatever the padding (peers average
 * micro-batch means instead). Held-out data is evaluated every {@code evalEvery} updates, at each
 * epoch's end and after the last update; early stopping watches {@code evalMetric} and the best
 * weights are restored at the end. All loop state lives in a {@link TrainState}.
 *
 * <p>Checkpoints and resuming: between updates, every {@code checkpointEvery} updates, when the run
 * ends and when a {@link StopRequest} asks it to stop, the loop hands a {@link TrainCheckpoint} to
 * its {@link Saver}; {@link #resume} continues from one. The resumed run reaches the same weights,
 * bit for bit, as one never interrupted (with the same thread count): the data order is a function
 * of the epoch ({@link Batches}), the learning rate of the optimizer's step count, and each
 * micro-batch is recorded on a tape keyed by its position (update, micro-batch), from which the
 * dropout masks are drawn ({@link dev.tune4j.autograd.ops.DropoutStream}).
 *
 * @param <B> the batch type its {@link Objective} consumes
 */
public final class Trainer<B> {

    /** Progress events; every field is a plain number so listeners can log JSON. */
    public interface Listener {
        default void onStep(Step step) {}

        default void onEval(Eval eval) {}
    }

    /**
     * One finished update: {@code tokens} input tokens went through it in {@code seconds};
     * {@code metrics}: the objective's own figures (reward margin, accuracy, ...), weighted over the micro-batches.
     */
    public record Step(int step, int totalSteps, int epoch, double lr, double loss, double gradNorm, double seconds, long tokens,
                       Map<String, Double> metrics) {}

    public record Eval(int step, int epoch, Evaluator.Evaluation evaluation, boolean improved) {}

    public record Result(int steps, double lastTrainLoss, double bestValLoss, int bestStep, boolean stoppedEarly,
                         List<double[]> trainCurve, List<double[]> valCurve, Evaluator.Evaluation best) {}

    private final Module model;
    private final Objective<B> objective;
    private final TrainConfig config;
    private final Optimizer optimizer;
    private final List<Parameter> params;
    private final L2Sp l2Sp;
    private TrainState state = new TrainState();
    private Saver saver;
    private StopRequest stop = new StopRequest();
    /** The step of the newest checkpoint written or resumed from (-1: none), so no step is saved twice. */
    private int saved = -1;
    private Path lastCheckpoint;

    /** Stores a checkpoint; returns where it went. Called between updates, before the next one changes anything. */
    @FunctionalInterface
    public interface Saver {
        Path save(TrainCheckpoint checkpoint);
    }

    public Trainer(Module model, Objective<B> objective, TrainConfig config) {
        this.model = model;
        this.objective = objective;
        this.config = config.validate();
        WeightMapper.materializeTrainable(model);
        List<Parameter> trainable = model.trainableParameters();
        if (trainable.isEmpty()) throw new IllegalArgumentException("nothing to train: every parameter is frozen");
        List<ParamGroup> groups = ParamGroups.build(trainable, config.lr, config.weightDecay);
        this.optimizer = switch (config.optimizer) {
            case "adamw" -> {
                for (ParamGroup g : groups) g.setBetas(config.beta1, config.beta2).setEps(config.adamEps);
                yield new AdamW(groups);
            }
            case "sgd" -> new Sgd(groups, config.momentum);
            default -> throw new IllegalArgumentException("unknown optimizer '" + config.optimizer + "' (expected adamw or sgd)");
        };
        this.params = groups.stream().flatMap(g -> g.params().stream()).toList();
        this.l2Sp = config.l2Sp > 0 ? new L2Sp(config.l2Sp, params) : null;
    }

    /** How far the trained weights have moved from where training started (L2 norm), or NaN without L2-SP. */
    public double distanceFromStart() {
        return l2Sp == null ? Double.NaN : l2Sp.distance();
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public TrainState state() {
        return state;
    }

    /** Where checkpoints go: every {@code checkpointEvery} updates, at the end, and when stopped. */
    public Trainer<B> saveWith(Saver saver) {
        this.saver = saver;
        return this;
    }

    /** Ends {@link #fit} at the next update boundary when requested, after a checkpoint, with a {@link TrainingStoppedException}. */
    public Trainer<B> stopOn(StopRequest stop) {
        this.stop = stop;
        return this;
    }

    /**
     * The loop's state now. The weights and optimizer buffers are live views: store them before the
     * next update changes them.
     */
    public TrainCheckpoint checkpoint() {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (Parameter p : model.trainableParameters()) weights.put(p.name(), p.value());
        return new TrainCheckpoint(state, weights, optimizer.stateTensors(), optimizer.stateScalars(), Parallel.threads(), null);
    }

    /**
     * Continues from a checkpoint of this same setup: its trainable weights, optimizer state and
     * loop state replace this trainer's. Everything is checked before anything changes.
     *
     * @throws IllegalArgumentException when the checkpoint's parameters are not this model's trainable ones
     */
    public void resume(TrainCheckpoint c) {
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        for (Parameter p : model.trainableParameters()) trainable.put(p.name(), p);
        if (!trainable.keySet().equals(c.weights().keySet())) {
            Set<String> missing = new TreeSet<>(trainable.keySet()), extra = new TreeSet<>(c.weights().keySet());
            missing.removeAll(c.weights().keySet());
            extra.removeAll(trainable.keySet());
            throw new IllegalArgumentException("the checkpoint trained other parameters than this model does (missing: " + first(missing)
                    + ", not trained here: " + first(extra) + ")");
        }
        for (var e : c.weights().entrySet()) {
            if (!Arrays.equals(e.getValue().shape(), trainable.get(e.getKey()).shape())) {
                throw new IllegalArgumentException("checkpoint tensor " + e.getKey() + " has shape " + Arrays.toString(e.getValue().shape())
                        + ", the model's " + Arrays.toString(trainable.get(e.getKey()).shape()));
            }
        }
        optimizer.loadState(c.optimizerTensors(), c.optimizerScalars());
        restore(c.weights());
        state = c.state();
        saved = state.step;
    }

    private static String first(Set<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names.stream().limit(3).toList()) + (names.size() > 3 ? ", ..." : "");
    }

    /** Updates a run over {@code data} makes: {@code epochs} passes when set, capped by {@code steps}. */
    public int totalSteps(Batches<B> data) {
        if (config.epochs <= 0 || data.perEpoch() < 0) return config.steps;
        int perEpoch = Math.ceilDiv(data.perEpoch(), config.gradAccumulation);
        return Math.min(config.steps, config.epochs * perEpoch);
    }

    /** An endless stream of micro-batches: {@code steps} updates. */
    public Result fit(Iterator<B> train, Supplier<Iterable<B>> validation, Listener listener) {
        return fit(Batches.stream(train), validation, listener);
    }

    /**
     * Trains until {@link #totalSteps} updates are done or early stopping ends the run; after
     * {@link #resume}, from where the checkpoint left off.
     *
     * @param validation a fresh pass over the validation batches each time it is called (null: none)
     * @throws TrainingStoppedException when the {@link StopRequest} asked to stop (after a checkpoint)
     */
    public Result fit(Batches<B> data, Supplier<Iterable<B>> validation, Listener listener) {
        int total = totalSteps(data);
        LrSchedule schedule = LrSchedule.named(config.schedule, Math.min(config.warmupSteps, total), total, config.minLrRatio);
        model.train(true);
        Iterator<B> epoch = null;
        while (state.step < total && !state.stoppedEarly) {
            stopIfRequested();
            long t0 = System.nanoTime();
            schedule.apply(optimizer);
            double lossSum = 0;
            long tokens = 0;
            double weight = 0;
            Map<String, Double> metrics = new LinkedHashMap<>();
            boolean epochEnded = false;
            for (int micro = 0; micro < config.gradAccumulation && !epochEnded; micro++) {
                if (epoch == null) epoch = skip(data.epoch(state.epoch), state.batchInEpoch);
                if (!epoch.hasNext()) throw new IllegalStateException("training data ran out at update " + state.step + " (epoch " + state.epoch + ")");
                B batch = epoch.next();
                state.batchInEpoch++;
                epochEnded = state.batchInEpoch == data.perEpoch();
                tokens += data.tokens(batch);
                try (Tape tape = Tape.record((long) state.step << 32 | micro)) {
                    Objective.Loss l = objective.loss(batch);
                    double v = l.scalar();
                    if (!Double.isFinite(v)) {
                        throw new NonFiniteLossException("loss is " + v + " at update " + state.step + " (micro-batch " + micro
                                + "); weights were not changed. Lower the learning rate or check the data.");
                    }
                    if (l.count() == 0 || l.weight() == 0) continue; // nothing scored: no gradient to add
                    lossSum += v * l.weight();
                    weight += l.weight();
                    for (var m : l.metrics().entrySet()) metrics.merge(m.getKey(), m.getValue() * l.weight(), Double::sum);
                    tape.backward(l.value(), (float) l.weight());
                }
            }
            double lr = optimizer.groups().get(0).lr();
            double norm = 0;
            long t1 = Profile.start();
            if (weight > 0) {
                GradClip.scaleGrads(params, 1.0 / weight);
                if (l2Sp != null) l2Sp.addGradient();
                // Both paths throw NonFiniteGradientException before any weight changes.
                norm = config.clipNorm > 0 ? GradClip.clipGlobalNorm(params, config.clipNorm) : GradClip.globalNorm(params);
                optimizer.step();
            }
            optimizer.zeroGrad();
            Profile.stop(Profile.Phase.OPTIMIZER, t1);
            state.step++;
            double loss = weight == 0 ? Double.NaN : lossSum / weight;
            state.trainCurve.add(new double[] {state.step, loss});
            if (listener != null) {
                final double w = weight;
                metrics.replaceAll((k, v) -> v / w);
                listener.onStep(new Step(state.step, total, state.epoch, lr, loss, norm, (System.nanoTime() - t0) / 1e9, tokens, metrics));
            }
            if (epochEnded) {
                state.epoch++;
                state.batchInEpoch = 0;
                epoch = null;
            }
            boolean due = (config.evalEvery > 0 && state.step % config.evalEvery == 0) || epochEnded || state.step == total;
            if (validation != null && due) evaluateAndTrack(validation.get(), listener);
            boolean ends = state.step == total || state.stoppedEarly;
            if (ends || (config.checkpointEvery > 0 && state.step % config.checkpointEvery == 0)) save();
            stopIfRequested();
        }
        if (state.bestWeights != null && state.bestStep != state.step) restore(state.bestWeights);
        model.train(false);
        double bestLoss = state.bestEvaluation == null ? Double.NaN : state.bestEvaluation.loss();
        double lastLoss = state.trainCurve.isEmpty() ? Double.NaN : state.trainCurve.getLast()[1];
        return new Result(state.step, lastLoss, bestLoss, state.bestStep, state.stoppedEarly, state.trainCurve, state.valCurve,
                state.bestEvaluation);
    }

    private void save() {
        if (saver == null || saved == state.step) return;
        lastCheckpoint = saver.save(checkpoint());
        saved = state.step;
    }

    /** At an update boundary: a requested stop saves the state (unless nothing was trained yet) and ends the run. */
    private void stopIfRequested() {
        if (!stop.requested()) return;
        if (state.step > 0) save();
        model.train(false);
        throw new TrainingStoppedException(stop.reason(), state.step, saved == state.step ? lastCheckpoint : null);
    }

    private void evaluateAndTrack(Iterable<B> validation, Listener listener) {
        Evaluator.Evaluation ev = evaluate(validation);
        model.train(true);
        state.valCurve.add(new double[] {state.step, ev.loss()});
        double v = ev.metric(config.evalMetric);
        if (Double.isNaN(v)) {
            throw new IllegalArgumentException("evaluation metric '" + config.evalMetric + "' is not computed for this task (available: loss"
                    + (ev.metrics().isEmpty() ? "" : ", " + String.join(", ", ev.metrics().keySet())) + ")");
        }
        boolean improved = Double.isNaN(state.best) || (lowerIsBetter(config.evalMetric)
                ? v < state.best - config.earlyStoppingMinDelta
                : v > state.best + config.earlyStoppingMinDelta);
        if (improved) {
            state.best = v;
            state.bestStep = state.step;
            state.bestEvaluation = ev;
            state.sinceBest = 0;
            if (config.restoreBest) state.bestWeights = snapshot();
        } else {
            state.sinceBest++;
        }
        if (listener != null) listener.onEval(new Eval(state.step, state.epoch, ev, improved));
        if (config.earlyStoppingPatience > 0 && state.sinceBest >= config.earlyStoppingPatience) state.stoppedEarly = true;
    }

    /** Loss-like metrics improve downwards; accuracy, F1 and the like upwards. */
    static boolean lowerIsBetter(String metric) {
        return metric.equals("loss") || metric.equals("perplexity") || metric.endsWith("_loss");
    }

    /** The objective's figures over held-out batches, in evaluation mode with no tape. */
    public Evaluator.Evaluation evaluate(Iterable<B> batches) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            Evaluator<B> ev = objective.evaluator();
            for (B b : batches) ev.add(b);
            return ev.result();
        } finally {
            model.train(wasTraining);
        }
    }

    private static <B> Iterator<B> skip(Iterator<B> it, int n) {
        for (int i = 0; i < n && it.hasNext(); i++) it.next();
        return it;
    }

    private Map<String, Tensor> snapshot() {
        Map<String, Tensor> m = new HashMap<>();
        for (Parameter p : model.trainableParameters()) m.put(p.name(), p.value().copy());
        return m;
    }

    private void restore(Map<String, Tensor> weights) {
        for (Parameter p : model.trainableParameters()) {
            Tensor t = weights.get(p.name());
            if (t != null) System.arraycopy(t.data(), 0, p.value().data(), 0, t.data().length);
        }
    }
}
