package dev.tune4j.train;

import dev.tune4j.autograd.Var;

import java.util.Map;

/**
 * What a training method minimises on one batch: causal-LM cross-entropy, classification,
 * and later reward modelling, DPO or an RL objective. The trainer only sees the scalar loss.
 */
@FunctionalInterface
public interface Objective<B> {

    /**
     * @param value   scalar loss to backpropagate: the mean over the batch's counted items (the
     *                trainer weights it by {@code count} so that an update averages over all the
     *                items of its micro-batches, not over micro-batch means)
     * @param count   how many items (tokens, examples) the mean is over, to weight evaluation averages
     * @param metrics extra figures to log (accuracy, reward margin, ...)
     */
    record Loss(Var value, long count, Map<String, Double> metrics) {
        public double scalar() {
            return value.value().get(0);
        }
    }

    Loss loss(B batch);

    /** How held-out data is scored: by default the count-weighted mean loss and metrics. */
    default Evaluator<B> evaluator() {
        return Evaluator.means(this);
    }
}
