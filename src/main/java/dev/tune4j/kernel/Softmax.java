package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/** Softmax over the last dimension of a [rows, dim] array. */
public final class Softmax {
    private Softmax() {}

    /**
     * y = exp(x - max) / sum(exp(x - max)) per row. Subtracting the row max keeps every exponent
     * <= 0, so logits of any size (1e4, 1e30) neither overflow nor lose the largest term.
     */
    public static void forward(float[] x, float[] y, int rows, int dim) {
        Parallel.forRange(rows, Norms.rowGrain(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int off = r * dim;
                float sum = expSum(x, off, dim, Reduce.max(x, off, dim), y);
                Elementwise.scale(1f / sum, y, off, dim);
            }
        });
    }

    /**
     * Sum of exp(x[off+j] - shift) for j < n, also written to out[off+j] unless out is null.
     * Row kernels are built from slice-level steps like this one: a JIT that runs out of inlining
     * budget then leaves a call taking arrays (cheap), never one taking vectors (which would box).
     */
    static float expSum(float[] x, int off, int n, float shift, float[] out) {
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = F.indexInRange(j, n);
            FloatVector e = VMath.exp(FloatVector.fromArray(F, x, off + j, m).sub(shift));
            acc = acc.add(e, m);
            if (out != null) e.intoArray(out, off + j, m);
        }
        return Reduce.laneSum(acc);
    }

    /** dx += y * (dy - sum(dy * y)) per row, from the saved output y. */
    public static void backward(float[] y, float[] dy, float[] dx, int rows, int dim) {
        Parallel.forRange(rows, Norms.rowGrain(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int off = r * dim;
                float dot = Reduce.dot(dy, off, y, off, dim);
                for (int j = 0; j < dim; j += L) {
                    VectorMask<Float> m = F.indexInRange(j, dim);
                    FloatVector yv = FloatVector.fromArray(F, y, off + j, m);
                    FloatVector.fromArray(F, dy, off + j, m).sub(dot)
                            .fma(yv, FloatVector.fromArray(F, dx, off + j, m)).intoArray(dx, off + j, m);
                }
            }
        });
    }
}
