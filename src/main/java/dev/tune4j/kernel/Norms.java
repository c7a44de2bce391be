package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Row normalisation over the last dimension, one parameterised kernel for both kinds:
 * LayerNorm ({@code centered}): y = (x - mean) * rstd * gamma + beta, rstd = 1/sqrt(var + eps);
 * RMSNorm (not centered): y = x * rstd * gamma, rstd = 1/sqrt(mean(x^2) + eps).
 * Statistics are float32 like torch's, the variance by two passes (mean first, then squared
 * deviations) so that rows with a large mean do not lose it to cancellation. The per-row mean
 * and rstd are kept for the backward pass (2 floats a row).
 */
public final class Norms {
    private Norms() {}

    /**
     * @param beta null for none (always null for RMSNorm)
     * @param mean per-row mean output, null when not centered
     * @param rstd per-row 1/std output
     */
    public static void forward(boolean centered, float[] x, float[] gamma, float[] beta, float[] y,
                               float[] mean, float[] rstd, int rows, int dim, float eps) {
        addForward(centered, x, null, x, gamma, beta, y, mean, rstd, rows, dim, eps);
    }

    /**
     * The residual step of a block, fused: s = x + r, written to sum (which may be x), then
     * y = norm(s) (y may be sum), each row in one go while it sits in L1. Gives the same bits as
     * an elementwise add followed by {@link #forward}. With r null it is {@link #forward} of x.
     *
     * @param mean per-row mean output, null when not centered or not wanted
     * @param rstd per-row 1/std output, null when not wanted (inference)
     */
    public static void addForward(boolean centered, float[] x, float[] r, float[] sum, float[] gamma, float[] beta,
                                  float[] y, float[] mean, float[] rstd, int rows, int dim, float eps) {
        float[] s = r == null ? x : sum;
        Parallel.forRange(rows, rowGrain(dim), (r0, r1) -> {
            for (int row = r0; row < r1; row++) {
                int off = row * dim;
                if (r != null) {
                    for (int j = 0; j < dim; j += L) {
                        VectorMask<Float> m = F.indexInRange(j, dim);
                        FloatVector.fromArray(F, x, off + j, m).add(FloatVector.fromArray(F, r, off + j, m)).intoArray(s, off + j, m);
                    }
                }
                float mu = centered ? Reduce.sum(s, off, dim) / dim : 0f;
                float var = Reduce.sumSquaredDeviation(s, off, dim, mu) / dim;
                float rs = (float) (1.0 / Math.sqrt((double) var + eps));
                if (centered && mean != null) mean[row] = mu;
                if (rstd != null) rstd[row] = rs;
                for (int j = 0; j < dim; j += L) {
                    VectorMask<Float> m = F.indexInRange(j, dim);
                    FloatVector v = FloatVector.fromArray(F, s, off + j, m).sub(mu).mul(rs)
                            .mul(FloatVector.fromArray(F, gamma, j, m));
                    if (beta != null) v = v.add(FloatVector.fromArray(F, beta, j, m));
                    v.intoArray(y, off + j, m);
                }
            }
        });
    }

    /**
     * Accumulates dx, dGamma, dBeta (each null when not wanted) from dy, with xhat = (x - mean) * rstd
     * recomputed from the saved statistics:
     * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma (no mean(g) term when not
     * centered), dGamma = sum over rows of dy * xhat, dBeta = sum over rows of dy.
     * dGamma and dBeta are split by columns, each summed over the rows in order, so they do not
     * depend on the thread count.
     */
    public static void backward(boolean centered, float[] x, float[] gamma, float[] mean, float[] rstd,
                                float[] dy, float[] dx, float[] dGamma, float[] dBeta, int rows, int dim) {
        if (dx != null) {
            Parallel.forRange(rows, rowGrain(dim), (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int off = r * dim;
                    float mu = centered ? mean[r] : 0f, rs = rstd[r];
                    FloatVector sumG = FloatVector.zero(F), sumGx = FloatVector.zero(F);
                    for (int j = 0; j < dim; j += L) {
                        VectorMask<Float> m = F.indexInRange(j, dim);
                        FloatVector g = FloatVector.fromArray(F, dy, off + j, m).mul(FloatVector.fromArray(F, gamma, j, m));
                        FloatVector xhat = FloatVector.fromArray(F, x, off + j, m).sub(mu).mul(rs);
                        sumG = sumG.add(g);
                        sumGx = g.fma(xhat, sumGx);
                    }
                    float a = centered ? Reduce.laneSum(sumG) / dim : 0f;
                    float b = Reduce.laneSum(sumGx) / dim;
                    for (int j = 0; j < dim; j += L) {
                        VectorMask<Float> m = F.indexInRange(j, dim);
                        FloatVector g = FloatVector.fromArray(F, dy, off + j, m).mul(FloatVector.fromArray(F, gamma, j, m));
                        FloatVector xhat = FloatVector.fromArray(F, x, off + j, m).sub(mu).mul(rs);
                        FloatVector d = xhat.fma(FloatVector.broadcast(F, -b), g.sub(a)).mul(rs);
                        d.add(FloatVector.fromArray(F, dx, off + j, m)).intoArray(dx, off + j, m);
                    }
                }
            });
        }
        if (dGamma != null || dBeta != null) {
            int colBlocks = (dim + L - 1) / L;
            Parallel.forRange(colBlocks, Math.max(1, (1 << 15) / Math.max(1, rows * L)), (c0, c1) -> {
                int j0 = c0 * L, j1 = Math.min(c1 * L, dim);
                for (int r = 0; r < rows; r++) {
                    int off = r * dim;
                    float mu = centered ? mean[r] : 0f, rs = rstd[r];
                    for (int j = j0; j < j1; j += L) {
                        VectorMask<Float> m = F.indexInRange(j, j1);
                        FloatVector d = FloatVector.fromArray(F, dy, off + j, m);
                        if (dGamma != null) {
                            FloatVector xhat = FloatVector.fromArray(F, x, off + j, m).sub(mu).mul(rs);
                            d.fma(xhat, FloatVector.fromArray(F, dGamma, j, m)).intoArray(dGamma, j, m);
                        }
                        if (dBeta != null) d.add(FloatVector.fromArray(F, dBeta, j, m)).intoArray(dBeta, j, m);
                    }
                }
            });
        }
    }

    /** Rows per parallel chunk: enough elements to outweigh the hand-off. */
    static int rowGrain(int dim) {
        return Math.max(1, (1 << 14) / Math.max(1, dim));
    }
}
