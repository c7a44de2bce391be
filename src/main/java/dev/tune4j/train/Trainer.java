package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ScaleOp;
import dev.tune4j.model.WeightMapper;
import dev.tune4j.nn.Module;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.train.optim.AdamW;
import dev.tune4j.train.optim.LrSchedule;
import dev.tune4j.train.optim.Optimizer;
import dev.tune4j.train.optim.ParamGroups;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The training loop, independent of the method: each update sums the gradients of
 * {@code gradAccumulation} micro-batches (each loss scaled by 1/N), refuses a non-finite loss or
 * gradient before it touches the weights, clips, steps the optimizer under the schedule, and
 * evaluates on held-out data every {@code evalEvery} updates with early stopping.
 *
 * @param <B> the batch type its {@link Objective} consumes
 */
public final class Trainer<B> {

    /** Progress events; every field is a plain number so listeners can log JSON. */
    public interface Listener {
        default void onStep(int step, double lr, double loss, double gradNorm, double secondsPerStep) {}

        default void onEval(int step, double valLoss, Map<String, Double> metrics, boolean improved) {}
    }

    public record Result(int steps, double lastTrainLoss, double bestValLoss, int bestStep, boolean stoppedEarly,
                         List<double[]> trainCurve, List<double[]> valCurve) {}

    private final Module model;
    private final Objective<B> objective;
    private final TrainConfig config;
    private final Optimizer optimizer;
    private final LrSchedule schedule;

    public Trainer(Module model, Objective<B> objective, TrainConfig config) {
        this.model = model;
        this.objective = objective;
        this.config = config.validate();
        WeightMapper.materializeTrainable(model);
        List<Parameter> trainable = model.trainableParameters();
        if (trainable.isEmpty()) throw new IllegalArgumentException("nothing to train: every parameter is frozen");
        var groups = ParamGroups.build(trainable, config.lr, config.weightDecay);
        for (var g : groups) g.setBetas(config.beta1, config.beta2).setEps(config.adamEps);
        this.optimizer = new AdamW(groups);
        this.schedule = LrSchedule.named(config.schedule, config.warmupSteps, config.steps, config.minLrRatio);
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * @param train      an endless (or long enough) stream of training micro-batches
     * @param validation a fresh pass over the validation batches each time it is called (null: none)
     */
    public Result fit(Iterator<B> train, Supplier<Iterable<B>> validation, Listener listener) {
        model.train(true);
        List<double[]> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY, lastLoss = Double.NaN;
        int bestStep = -1, sinceBest = 0;
        boolean stoppedEarly = false;
        Map<String, Tensor> bestWeights = null;
        int step = 0;
        while (step < config.steps) {
            long t0 = System.nanoTime();
            schedule.apply(optimizer);
            double loss = 0;
            for (int micro = 0; micro < config.gradAccumulation; micro++) {
                if (!train.hasNext()) throw new IllegalStateException("training data ran out at update " + step);
                try (Tape tape = Tape.record()) {
                    Objective.Loss l = objective.loss(train.next());
                    double v = l.scalar();
                    if (!Double.isFinite(v)) {
                        throw new NonFiniteLossException("loss is " + v + " at update " + step + " (micro-batch " + micro
                                + "); weights were not changed. Lower the learning rate or check the data.");
                    }
                    loss += v / config.gradAccumulation;
                    Var scaled = config.gradAccumulation == 1 ? l.value() : ScaleOp.apply(l.value(), 1f / config.gradAccumulation);
                    tape.backward(scaled);
                }
            }
            List<Parameter> params = optimizer.groups().stream().flatMap(g -> g.params().stream()).toList();
            // Both paths throw NonFiniteGradientException before any weight changes.
            double norm = config.clipNorm > 0 ? GradClip.clipGlobalNorm(params, config.clipNorm) : GradClip.globalNorm(params);
            double lr = optimizer.groups().get(0).lr();
            optimizer.step();
            optimizer.zeroGrad();
            step++;
            lastLoss = loss;
            trainCurve.add(new double[] {step, loss});
            if (listener != null) listener.onStep(step, lr, loss, norm, (System.nanoTime() - t0) / 1e9);

            if (validation != null && config.evalEvery > 0 && (step % config.evalEvery == 0 || step == config.steps)) {
                Evaluation ev = evaluate(validation.get());
                valCurve.add(new double[] {step, ev.loss()});
                boolean improved = ev.loss() < best - config.earlyStoppingMinDelta;
                if (improved) {
                    best = ev.loss();
                    bestStep = step;
                    sinceBest = 0;
                    if (config.restoreBest) bestWeights = snapshot();
                } else {
                    sinceBest++;
                }
                if (listener != null) listener.onEval(step, ev.loss(), ev.metrics(), improved);
                if (config.earlyStoppingPatience > 0 && sinceBest >= config.earlyStoppingPatience) {
                    stoppedEarly = true;
                    break;
                }
            }
        }
        if (bestWeights != null && bestStep != step) restore(bestWeights);
        model.train(false);
        return new Result(step, lastLoss, best, bestStep, stoppedEarly, trainCurve, valCurve);
    }

    public record Evaluation(double loss, long count, Map<String, Double> metrics) {}

    /** Count-weighted mean loss (and metrics) over batches, in evaluation mode with no tape. */
    public Evaluation evaluate(Iterable<B> batches) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        double sum = 0;
        long count = 0;
        Map<String, Double> metricSums = new HashMap<>();
        for (B b : batches) {
            Objective.Loss l = objective.loss(b);
            sum += l.scalar() * l.count();
            count += l.count();
            for (var e : l.metrics().entrySet()) metricSums.merge(e.getKey(), e.getValue() * l.count(), Double::sum);
        }
        model.train(wasTraining);
        Map<String, Double> metrics = new HashMap<>();
        long n = Math.max(1, count);
        for (var e : metricSums.entrySet()) metrics.put(e.getKey(), e.getValue() / n);
        return new Evaluation(count == 0 ? Double.NaN : sum / count, count, metrics);
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
