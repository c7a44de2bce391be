package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Softmax cross-entropy over [rows, vocab] logits without materialising the softmax: the forward
 * keeps two floats per row (the row max and the log of the sum of exp(logit - max)), and the
 * backward recomputes each row's probabilities as exp((logit - max) - logSum) straight into the
 * gradient buffer. Keeping max and logSum apart, rather than their sum, keeps log-probabilities
 * exact to float rounding even for logits of 1e4, where a float log-sum-exp would be off by 1e-3. The only rows x vocab arrays involved are
 * the logits and their gradient, however large the vocabulary.
 */
public final class CrossEntropyKernel {
    private CrossEntropyKernel() {}

    /**
     * Fills stats[2r] = max_j logits[r, j] and stats[2r+1] = log(sum_j exp(logits[r, j] - max)) for each
     * row whose target is not ignoreIndex, and returns the sum over those rows of
     * w[target[r]] * -log softmax(logits[r])[target[r]] (in float64, rows added in order), where w is
     * classWeights or 1 when it is null (torch's {@code weight}). Targets must already be validated
     * to lie in [0, vocab) or equal ignoreIndex.
     */
    public static double forward(float[] logits, int rows, int vocab, int[] targets, int ignoreIndex, float[] classWeights, float[] stats) {
        double[] rowLoss = new double[rows];
        Parallel.forRange(rows, Norms.rowGrain(vocab), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                if (targets[r] == ignoreIndex) continue;
                int off = r * vocab;
                float max = Reduce.max(logits, off, vocab);
                float logSum = (float) Math.log(Softmax.expSum(logits, off, vocab, max, null));
                stats[2 * r] = max;
                stats[2 * r + 1] = logSum;
                double nll = ((double) max - logits[off + targets[r]]) + logSum;
                rowLoss[r] = classWeights == null ? nll : classWeights[targets[r]] * nll;
            }
        });
        double total = 0;
        for (int r = 0; r < rows; r++) total += rowLoss[r];
        return total;
    }

    /**
     * dLogits[r, :] += scale * w[target[r]] * (softmax(logits[r, :]) - onehot(target[r])) for each
     * non-ignored row, where scale is d(loss)/d(weighted row loss) (e.g. 1/sum of weights for a mean)
     * and w is classWeights or 1 when it is null.
     */
    public static void backward(float[] logits, float[] stats, int rows, int vocab, int[] targets, int ignoreIndex,
                                float[] classWeights, float scale, float[] dLogits) {
        Parallel.forRange(rows, Norms.rowGrain(vocab), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                if (targets[r] == ignoreIndex) continue;
                int off = r * vocab;
                float max = stats[2 * r], logSum = stats[2 * r + 1];
                float s = classWeights == null ? scale : scale * classWeights[targets[r]];
                for (int j = 0; j < vocab; j += L) {
                    VectorMask<Float> m = F.indexInRange(j, vocab);
                    VMath.exp(FloatVector.fromArray(F, logits, off + j, m).sub(max).sub(logSum))
                            .fma(FloatVector.broadcast(F, s), FloatVector.fromArray(F, dLogits, off + j, m))
                            .intoArray(dLogits, off + j, m);
                }
                dLogits[off + targets[r]] -= s;
            }
        });
    }

    /**
     * logits[r, :] := softmax(logits[r, :]) - onehot(target[r]) in place (the gradient of the row's
     * loss, unscaled) for each row not ignored, from the stats of {@link #forward}; an ignored row
     * becomes zeros. For a loss that uses the logits only to reach its gradient, this spares a
     * second rows x vocab array.
     */
    public static void gradientInPlace(float[] logits, float[] stats, int rows, int vocab, int[] targets, int ignoreIndex) {
        Parallel.forRange(rows, Norms.rowGrain(vocab), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int off = r * vocab;
                if (targets[r] == ignoreIndex) {
                    java.util.Arrays.fill(logits, off, off + vocab, 0f);
                    continue;
                }
                float max = stats[2 * r], logSum = stats[2 * r + 1];
                int j = 0;
                for (; j + L <= vocab; j += L) {
                    VMath.exp(FloatVector.fromArray(F, logits, off + j).sub(max).sub(logSum)).intoArray(logits, off + j);
                }
                if (j < vocab) {
                    VectorMask<Float> m = F.indexInRange(j, vocab);
                    VMath.exp(FloatVector.fromArray(F, logits, off + j, m).sub(max).sub(logSum)).intoArray(logits, off + j, m);
                }
                logits[off + targets[r]] -= 1f;
            }
        });
    }
}
