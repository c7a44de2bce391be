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
                float max = Reduce.max(x, off, dim);
                FloatVector acc = FloatVector.zero(F);
                for (int j = 0; j < dim; j += L) {
                    VectorMask<Float> m = F.indexInRange(j, dim);
                    FloatVector e = VMath.exp(FloatVector.fromArray(F, x, off + j, m).sub(max));
                    acc = acc.add(e, m);
                    e.intoArray(y, off + j, m);
                }
                float inv = 1f / Reduce.laneSum(acc);
                for (int j = 0; j < dim; j += L) {
                    VectorMask<Float> m = F.indexInRange(j, dim);
                    FloatVector.fromArray(F, y, off + j, m).mul(inv).intoArray(y, off + j, m);
                }
            }
        });
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
