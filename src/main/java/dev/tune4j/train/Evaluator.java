package dev.tune4j.train;

import java.util.HashMap;
import java.util.Map;

/**
 * Accumulates an objective's figures over a whole split, batch by batch, holding only running
 * sums (never a split's outputs), so that evaluating a large split costs one batch of memory.
 */
public interface Evaluator<B> {

    /** Scores one batch (no tape is recording; the model is in evaluation mode). */
    void add(B batch);

    Evaluation result();

    /**
     * The figures of one evaluation: the count-weighted mean loss, named metrics (accuracy,
     * macro_f1, perplexity, ...) and optional details for reports (per-class figures, a confusion
     * matrix) as JSON-ready maps and lists.
     */
    record Evaluation(double loss, long count, Map<String, Double> metrics, Map<String, Object> details) {
        /** A metric by name; "loss" is the loss itself. NaN when absent. */
        public double metric(String name) {
            if (name.equals("loss")) return loss;
            Double v = metrics.get(name);
            return v == null ? Double.NaN : v;
        }
    }

    /** The default: count-weighted means of the loss and of each {@link Objective.Loss#metrics()} entry. */
    static <B> Evaluator<B> means(Objective<B> objective) {
        return new Evaluator<>() {
            double sum;
            long count;
            final Map<String, Double> metricSums = new HashMap<>();

            public void add(B batch) {
                Objective.Loss l = objective.loss(batch);
                sum += l.scalar() * l.count();
                count += l.count();
                for (var e : l.metrics().entrySet()) metricSums.merge(e.getKey(), e.getValue() * l.count(), Double::sum);
            }

            public Evaluation result() {
                Map<String, Double> metrics = new HashMap<>();
                long n = Math.max(1, count);
                for (var e : metricSums.entrySet()) metrics.put(e.getKey(), e.getValue() / n);
                double loss = count == 0 ? Double.NaN : sum / count;
                return new Evaluation(loss, count, metrics, Map.of());
            }
        };
    }
}
