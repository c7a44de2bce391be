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
     * @param value   scalar loss to backpropagate: a weighted mean, {@code sum / weight} (the trainer
     *                multiplies it back by {@code weight}, so that an update averages over all the
     *                items of its micro-batches, not over micro-batch means)
     * @param count   how many items (tokens, examples) the batch scores, to weight evaluation averages
     * @param weight  the mean's denominator: {@code count}, or the summed class weights of the items
     * @param metrics extra figures to log (accuracy, reward margin, ...)
     */
    record Loss(Var value, long count, double weight, Map<String, Double> metrics) {
        /** An unweighted mean over {@code count} items. */
        public Loss(Var value, long count, Map<String, Double> metrics) {
            this(value, count, count, metrics);
        }

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
