package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/** Sentence-embedding pooling over [batch, seq, dim] and L2 normalisation of rows. */
public final class Pooling {
    private Pooling() {}

    /** 1 / (number of tokens with mask 1) per sequence, or 0 for an all-padding sequence. */
    public static float[] maskWeights(int[][] mask) {
        float[] w = new float[mask.length];
        for (int b = 0; b < mask.length; b++) {
            int count = 0;
            for (int m : mask[b]) count += m;
            w[b] = count == 0 ? 0f : 1f / count;
        }
        return w;
    }

    /**
     * out[b, :] = sum_t mask[b][t] x[b, t, :] * invCount[b] (sentence-transformers' mean pooling; an
     * all-padding sequence pools to zeros rather than dividing by zero).
     */
    public static void meanPoolForward(float[] x, int batch, int seq, int dim, int[][] mask, float[] invCount, float[] out) {
        Parallel.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                java.util.Arrays.fill(out, b * dim, (b + 1) * dim, 0f);
                for (int t = 0; t < seq; t++) {
                    if (mask[b][t] != 0) Elementwise.axpy(mask[b][t] * invCount[b], x, (b * seq + t) * dim, out, b * dim, dim);
                }
            }
        });
    }

    /** dx[b, t, :] += mask[b][t] * invCount[b] * dy[b, :]. */
    public static void meanPoolBackward(float[] dy, int batch, int seq, int dim, int[][] mask, float[] invCount, float[] dx) {
        Parallel.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                for (int t = 0; t < seq; t++) {
                    if (mask[b][t] != 0) Elementwise.axpy(mask[b][t] * invCount[b], dy, b * dim, dx, (b * seq + t) * dim, dim);
                }
            }
        });
    }

    /**
     * y[r, :] = x[r, :] / max(||x[r, :]||, eps) (torch.nn.functional.normalize); norm[r] keeps the
     * row norm for the backward.
     */
    public static void l2NormalizeForward(float[] x, float[] y, float[] norm, int rows, int dim, float eps) {
        Parallel.forRange(rows, Norms.rowGrain(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int off = r * dim;
                float nrm = (float) Math.sqrt(Reduce.dot(x, off, x, off, dim));
                norm[r] = nrm;
                float inv = 1f / Math.max(nrm, eps);
                for (int j = 0; j < dim; j += L) {
                    VectorMask<Float> m = F.indexInRange(j, dim);
                    FloatVector.fromArray(F, x, off + j, m).mul(inv).intoArray(y, off + j, m);
                }
            }
        });
    }

    /**
     * dx += (dy - y (y . dy)) / norm where the norm exceeds eps, else dy / eps (the clamp is then a
     * constant).
     */
    public static void l2NormalizeBackward(float[] y, float[] norm, float[] dy, float[] dx, int rows, int dim, float eps) {
        Parallel.forRange(rows, Norms.rowGrain(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int off = r * dim;
                if (norm[r] > eps) {
                    float inv = 1f / norm[r];
                    float dot = Reduce.dot(y, off, dy, off, dim);
                    for (int j = 0; j < dim; j += L) {
                        VectorMask<Float> m = F.indexInRange(j, dim);
                        FloatVector yv = FloatVector.fromArray(F, y, off + j, m);
                        yv.fma(FloatVector.broadcast(F, -dot), FloatVector.fromArray(F, dy, off + j, m)).mul(inv)
                                .add(FloatVector.fromArray(F, dx, off + j, m)).intoArray(dx, off + j, m);
                    }
                } else {
                    Elementwise.axpy(1f / eps, dy, off, dx, off, dim);
                }
            }
        });
    }
}
