package dev.tune4j.train.rl;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The clipped surrogate of PPO and GRPO over the completion tokens of a rollout batch, with an
 * optional KL-to-reference term (GRPO puts it in the loss; PPO puts it in the reward and passes 0 here):
 * <pre>
 *   rho_it = exp(logp_it - old_it)           token ratio  (sequence / GSPO: exp(mean_t(logp_it - old_it)) for every token of i)
 *   l_it   = -min(rho A_it, clip(rho, 1 - eps_low, 1 + eps_high) A_it) + beta * k3_it
 *   k3_it  = exp(ref_it - logp_it) - (ref_it - logp_it) - 1    (Schulman's unbiased, non-negative KL estimator)
 * </pre>
 * aggregated as {@link Aggregation} says. Gradients are with respect to {@code logp}; a clipped
 * token passes none through its surrogate.
 */
public record PolicyLoss(double clipLow, double clipHigh, Aggregation aggregation, boolean sequenceRatio, double klCoef, int maxNewTokens) {

    public enum Aggregation {
        /** Mean over each sequence's tokens, then over sequences (GRPO as published). */
        GRPO,
        /** Sum over all tokens / (sequences * max new tokens): no length bias (Dr. GRPO). */
        DR_GRPO,
        /** Mean over all tokens of the batch (DAPO; PPO's usual token mean). */
        DAPO;

        public static Aggregation parse(String id) {
            return valueOf(id.toUpperCase(Locale.ROOT));
        }
    }

    /** Completion tokens of a batch of sequences: flat positions, their row, and per-position old/ref log-probs and advantages. */
    public record Tokens(int rows, int[] row, double[] old, double[] ref, double[] advantage) {
        public Tokens {
            int n = row.length;
            if (old.length != n || advantage.length != n || (ref != null && ref.length != n)) throw new IllegalArgumentException("token arrays differ in length");
        }
    }

    public record Result(double loss, Map<String, Double> metrics) {}

    /**
     * @param logp the policy's log-probability of each token of {@code t} (same order)
     * @param grad receives dL/dlogp (zeroed, same length)
     */
    public Result apply(double[] logp, Tokens t, double[] grad) {
        int n = logp.length, rows = t.rows();
        int[] len = new int[rows];
        for (int r : t.row()) len[r]++;
        // each token's weight in the aggregate
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = switch (aggregation) {
                case GRPO -> 1.0 / (rows * len[t.row()[i]]);
                case DR_GRPO -> 1.0 / ((double) rows * maxNewTokens);
                case DAPO -> 1.0 / n;
            };
        }
        // log ratio per token: its own, or its sequence's mean (GSPO)
        double[] logRatio = new double[n];
        double[] seqMean = new double[rows];
        for (int i = 0; i < n; i++) seqMean[t.row()[i]] += (logp[i] - t.old()[i]) / len[t.row()[i]];
        for (int i = 0; i < n; i++) logRatio[i] = sequenceRatio ? seqMean[t.row()[i]] : logp[i] - t.old()[i];
        double loss = 0, clipped = 0, kl = 0, ratioSum = 0;
        double[] seqGrad = new double[rows];
        for (int i = 0; i < n; i++) {
            double rho = Math.exp(logRatio[i]), a = t.advantage()[i];
            double clip = Math.min(Math.max(rho, 1 - clipLow), 1 + clipHigh);
            boolean isClipped = rho * a > clip * a;  // min picks the clipped term, which has no gradient
            loss += w[i] * -Math.min(rho * a, clip * a);
            double dSurrogate = isClipped ? 0 : -rho * a * w[i];
            if (sequenceRatio) seqGrad[t.row()[i]] += dSurrogate;
            else grad[i] += dSurrogate;
            if (isClipped) clipped++;
            ratioSum += rho;
            if (t.ref() != null) {
                double d = t.ref()[i] - logp[i];
                double k3 = Math.exp(d) - d - 1;
                kl += k3 / n;
                if (klCoef > 0) {
                    loss += w[i] * klCoef * k3;
                    grad[i] += w[i] * klCoef * (1 - Math.exp(d));
                }
            }
        }
        if (sequenceRatio) for (int i = 0; i < n; i++) grad[i] += seqGrad[t.row()[i]] / len[t.row()[i]];
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("clip_fraction", clipped / n);
        m.put("ratio", ratioSum / n);
        if (t.ref() != null) m.put("kl_k3", kl);
        return new Result(loss, m);
    }
}
