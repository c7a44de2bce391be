package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.CrossEntropyKernel;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * Softmax cross-entropy of [..., vocab] logits against integer targets, rows whose target equals
 * ignoreIndex left out. Memory beyond the logits and their gradient: 2 floats per row (see
 * {@link CrossEntropyKernel}), so a 150k vocabulary costs no softmax copy.
 */
public final class CrossEntropyOp {
    private CrossEntropyOp() {}

    public enum Reduction {
        /** Sum over counted rows / their count: torch's default; 0 (and zero gradient) if every row is ignored. */
        MEAN,
        /**
         * Sum over counted rows: for gradient accumulation over micro-batches, divide the total by
         * the total {@link #count} (e.g. with ScaleOp) so every token weighs the same.
         */
        SUM
    }

    /** Mean over the rows not ignored. */
    public static Var apply(Var logits, int[] targets, int ignoreIndex) {
        return apply(logits, targets, ignoreIndex, Reduction.MEAN);
    }

    public static Var apply(Var logits, int[] targets, int ignoreIndex, Reduction reduction) {
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
        int count = count(targets, ignoreIndex);
        float[] x = logits.value().toHeap().data();
        int[] tgt = targets.clone(); // the caller may reuse its buffer before the backward
        float[] stats = new float[2 * rows];
        double sum = CrossEntropyKernel.forward(x, rows, vocab, tgt, ignoreIndex, stats);
        float rowWeight = reduction == Reduction.SUM ? 1f : count == 0 ? 0f : 1f / count;
        Tensor out = Tensor.of(new float[] {(float) (sum * rowWeight)});
        Var y = Tape.output(out, logits);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            float[] dx = logits.gradForAccumulation();
            float scale = y.grad().data()[0] * rowWeight;
            if (count > 0) CrossEntropyKernel.backward(x, stats, rows, vocab, tgt, ignoreIndex, scale, dx);
        });
        return y;
    }

    /** Rows whose target is not ignoreIndex: the divisor of the mean. */
    public static int count(int[] targets, int ignoreIndex) {
        int c = 0;
        for (int t : targets) if (t != ignoreIndex) c++;
        return c;
    }
}
