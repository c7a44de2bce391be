package dev.tune4j.train;

import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything the training loop advances, in one object rather than in the loop's local variables,
 * so that a checkpoint can write it and a resumed run can continue from it: updates done, the data
 * cursor (epoch and micro-batches consumed in it), early-stopping state and the metric history.
 * (The optimizer's moments live in the optimizer, the weights in the model.)
 */
public final class TrainState {
    /** Optimizer updates done. */
    public int step;
    /** The current epoch (0-based) and the micro-batches of it already consumed. */
    public int epoch, batchInEpoch;
    /** The best value of the early-stopping metric so far (NaN before the first evaluation). */
    public double best = Double.NaN;
    public int bestStep = -1;
    /** Evaluations since the best one. */
    public int sinceBest;
    public boolean stoppedEarly;
    /** Trainable weights at the best evaluation, by parameter name (null: not kept). */
    public Map<String, Tensor> bestWeights;
    public Evaluator.Evaluation bestEvaluation;
    /** (step, training loss) per update and (step, validation loss) per evaluation. */
    public final List<double[]> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();
}
