package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.CrossEntropyKernel;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * Softmax cross-entropy of [..., vocab] logits against integer targets, rows whose target equals
 * ignoreIndex left out, optionally with a weight per class (torch's {@code weight}):
 * <pre>
 *   SUM:  L = sum_r w[y_r] * -log softmax(z_r)[y_r]
 *   MEAN: L = SUM / sum_r w[y_r]        (w = 1: the mean over counted rows)
 * </pre>
 * over the rows r not ignored. Memory beyond the logits and their gradient: 2 floats per row (see
 * {@link CrossEntropyKernel}), so a 150k vocabulary costs no softmax copy.
 */
public final class CrossEntropyOp {
    private CrossEntropyOp() {}

    public enum Reduction {
        /** SUM / {@link #weightSum}: torch's default; 0 (and zero gradient) if that sum is 0 (every row ignored). */
        MEAN,
        /**
         * The (weighted) sum over counted rows: for gradient accumulation over micro-batches, divide the
         * total by the total {@link #weightSum} (= {@link #count} without class weights) so every row weighs the same.
         */
        SUM
    }

    /** Mean over the rows not ignored. */
    public static Var apply(Var logits, int[] targets, int ignoreIndex) {
        return apply(logits, targets, ignoreIndex, Reduction.MEAN, null);
    }

    public static Var apply(Var logits, int[] targets, int ignoreIndex, Reduction reduction) {
        return apply(logits, targets, ignoreIndex, reduction, null);
    }

    /** @param classWeights one finite weight >= 0 per class (length vocab), or null for all 1 */
    public static Var apply(Var logits, int[] targets, int ignoreIndex, Reduction reduction, float[] classWeights) {
        int[] ls = logits.shape();
        Shape.check(ls.length >= 2, "CrossEntropyOp", "logits must be [rows, vocab] (or [..., vocab])", ls);
        int vocab = ls[ls.length - 1];
        int rows = (int) (Shape.numel(ls) / Math.max(1, vocab));
        Shape.check(targets.length == rows, "CrossEntropyOp",
                targets.length + " targets for " + rows + " rows of logits", ls, new int[] {targets.length});
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t != ignoreIndex && (t < 0 || t >= vocab)) {
                throw new IllegalArgumentException("CrossEntropyOp: target " + t + " at row " + r
                        + " is out of range for " + vocab + " classes (ignore index " + ignoreIndex + ")");
            }
        }
        float[] w = classWeights == null ? null : checkedWeights(classWeights, vocab);
        double divisor = weightSum(targets, ignoreIndex, w);
        long t0 = Profile.start();
        float[] x = logits.value().toHeap().data();
        int[] tgt = targets.clone(); // the caller may reuse its buffer before the backward
        float[] stats = new float[2 * rows];
        double sum = CrossEntropyKernel.forward(x, rows, vocab, tgt, ignoreIndex, w, stats);
        Profile.stop(Profile.Phase.LOSS, t0);
        float rowWeight = reduction == Reduction.SUM ? 1f : divisor == 0 ? 0f : (float) (1 / divisor);
        Tensor out = Tensor.of(new float[] {(float) (sum * rowWeight)});
        Var y = Tape.output(out, logits);
        if (y.requiresGrad()) Tape.push(Profile.timed(Profile.Phase.LOSS, () -> {
            if (y.grad() == null) return;
            float[] dx = logits.gradForAccumulation();
            float scale = y.grad().data()[0] * rowWeight;
            if (divisor > 0) CrossEntropyKernel.backward(x, stats, rows, vocab, tgt, ignoreIndex, w, scale, dx);
        }));
        return y;
    }

    /** Rows whose target is not ignoreIndex: the divisor of the unweighted mean. */
    public static int count(int[] targets, int ignoreIndex) {
        int c = 0;
        for (int t : targets) if (t != ignoreIndex) c++;
        return c;
    }

    /**
     * sum over rows not ignored of classWeights[target] (their count when classWeights is null): the
     * divisor of the MEAN reduction. Targets must be in range.
     */
    public static double weightSum(int[] targets, int ignoreIndex, float[] classWeights) {
        if (classWeights == null) return count(targets, ignoreIndex);
        double s = 0;
        for (int t : targets) if (t != ignoreIndex) s += classWeights[t];
        return s;
    }

    private static float[] checkedWeights(float[] w, int vocab) {
        if (w.length != vocab) {
            throw new IllegalArgumentException("CrossEntropyOp: " + w.length + " class weights for " + vocab + " classes");
        }
        for (int k = 0; k < w.length; k++) {
            if (!(w[k] >= 0 && Float.isFinite(w[k]))) {
                throw new IllegalArgumentException("CrossEntropyOp: class weight " + k + " is " + w[k] + "; weights must be finite and >= 0");
            }
        }
        return w.clone();
    }
}
