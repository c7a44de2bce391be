package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Elementwise arithmetic on whole arrays (in parallel) and on slices (serial, for use inside row
 * kernels). Every element is computed on its own, so results do not depend on the thread count.
 */
public final class Elementwise {
    private Elementwise() {}

    /** Elements below which a parallel split costs more than it saves. */
    static final int GRAIN = 1 << 15;

    /** Runs body over [0, n) in chunks whose starts are multiples of the vector length. */
    static void forVectors(int n, int grain, Parallel.Range body) {
        int blocks = (n + L - 1) / L;
        Parallel.forRange(blocks, Math.max(1, grain / L), (s, e) -> body.run(s * L, Math.min(e * L, n)));
    }

    /** out = a + b. */
    public static void add(float[] a, float[] b, float[] out, int n) {
        forVectors(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector.fromArray(F, a, i, m).add(FloatVector.fromArray(F, b, i, m)).intoArray(out, i, m);
            }
        });
    }

    /** out = a * b. */
    public static void mul(float[] a, float[] b, float[] out, int n) {
        forVectors(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector.fromArray(F, a, i, m).mul(FloatVector.fromArray(F, b, i, m)).intoArray(out, i, m);
            }
        });
    }

    /** out = s * x. */
    public static void scale(float[] x, float s, float[] out, int n) {
        forVectors(n, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i += L) {
                VectorMask<Float> m = F.indexInRange(i, hi);
                FloatVector.fromArray(F, x, i, m).mul(s).intoArray(out, i, m);
            }
        });
    }

    /** x[off+j] *= s for j < n (serial). */
    public static void scale(float s, float[] x, int off, int n) {
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = F.indexInRange(j, n);
            FloatVector.fromArray(F, x, off + j, m).mul(s).intoArray(x, off + j, m);
        }
    }

    /** dst += s * x (whole arrays, in parallel). */
    public static void axpy(float s, float[] x, float[] dst, int n) {
        forVectors(n, GRAIN, (lo, hi) -> axpy(s, x, lo, dst, lo, hi - lo));
    }

    /** dst[dOff+j] += s * x[xOff+j] for j < n (serial). */
    public static void axpy(float s, float[] x, int xOff, float[] dst, int dOff, int n) {
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = F.indexInRange(j, n);
            FloatVector.fromArray(F, x, xOff + j, m)
                    .fma(FloatVector.broadcast(F, s), FloatVector.fromArray(F, dst, dOff + j, m))
                    .intoArray(dst, dOff + j, m);
        }
    }

    /** dst += a * b. */
    public static void addProduct(float[] a, float[] b, float[] dst, int n) {
        forVectors(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector.fromArray(F, a, i, m).fma(FloatVector.fromArray(F, b, i, m), FloatVector.fromArray(F, dst, i, m))
                        .intoArray(dst, i, m);
            }
        });
    }

    /** dst += c. */
    public static void addConstant(float c, float[] dst, int n) {
        forVectors(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector.fromArray(F, dst, i, m).add(c).intoArray(dst, i, m);
            }
        });
    }
}
