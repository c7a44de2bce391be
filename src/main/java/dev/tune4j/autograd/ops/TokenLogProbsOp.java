package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * The log-probability of each row's target token, {@code y_r = z_r[t_r] - logsumexp(z_r)}, from
 * [..., vocab] logits: the per-token scores preference and RL losses are built from (summed per
 * sequence for DPO, kept per token for PPO/GRPO ratios). Rows whose target is {@code ignoreIndex}
 * give 0 and no gradient. The log-sum-exp is taken in float64 around the row maximum, so large
 * logits neither overflow nor lose the small differences that DPO margins are made of.
 * <pre>
 *   backward: dz_r = g_r * (onehot(t_r) - softmax(z_r))
 * </pre>
 * Memory beyond the logits: one float per row (its log-sum-exp), no softmax copy, as
 * {@link CrossEntropyOp}.
 */
public final class TokenLogProbsOp {
    private TokenLogProbsOp() {}

    /** @return [rows] log-probabilities (0 on ignored rows) */
    public static Var apply(Var logits, int[] targets, int ignoreIndex) {
        int[] ls = logits.shape();
        Shape.check(ls.length >= 2, "TokenLogProbsOp", "logits must be [rows, vocab] (or [..., vocab])", ls);
        int vocab = ls[ls.length - 1];
        int rows = (int) (Shape.numel(ls) / Math.max(1, vocab));
        Shape.check(targets.length == rows, "TokenLogProbsOp", targets.length + " targets for " + rows + " rows of logits", ls, new int[] {targets.length});
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t != ignoreIndex && (t < 0 || t >= vocab)) {
                throw new IllegalArgumentException("TokenLogProbsOp: target " + t + " at row " + r + " is out of range for " + vocab + " classes");
            }
        }
        long t0 = Profile.start();
        float[] x = logits.value().toHeap().data();
        int[] tgt = targets.clone();
        float[] lse = new float[rows];
        float[] out = new float[rows];
        Parallel.forRange(rows, 4, (from, to) -> {
            for (int r = from; r < to; r++) {
                if (tgt[r] == ignoreIndex) continue;
                int off = r * vocab;
                double max = Double.NEGATIVE_INFINITY, s = 0;
                for (int v = 0; v < vocab; v++) max = Math.max(max, x[off + v]);
                for (int v = 0; v < vocab; v++) s += Math.exp(x[off + v] - max);
                double l = max + Math.log(s);
                lse[r] = (float) l;
                out[r] = (float) (x[off + tgt[r]] - l);
            }
        });
        Profile.stop(Profile.Phase.LOSS, t0);
        Var y = Tape.output(Tensor.of(out, rows), logits);
        if (y.requiresGrad()) Tape.push(Profile.timed(Profile.Phase.LOSS, () -> {
            if (y.grad() == null) return;
            float[] g = y.grad().data(), dx = logits.gradForAccumulation();
            Parallel.forRange(rows, 4, (from, to) -> {
                for (int r = from; r < to; r++) {
                    if (tgt[r] == ignoreIndex || g[r] == 0) continue;
                    int off = r * vocab;
                    float gr = g[r], l = lse[r];
                    for (int v = 0; v < vocab; v++) dx[off + v] -= gr * (float) Math.exp(x[off + v] - l);
                    dx[off + tgt[r]] += gr;
                }
            });
        }));
        return y;
    }
}
