package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Reductions: over a slice of an array (the building blocks of the row kernels) and over a whole
 * array. Float sums never use {@code reduceLanes(ADD)}, whose order of operations may "vary over
 * time" by its specification; lanes are added in index order instead, so results are bitwise
 * reproducible.
 */
public final class Reduce {
    private Reduce() {}

    /** Elements per block of a whole-array sum: the blocks, not the threads, fix the summation order. */
    static final int SUM_BLOCK = 1024;

    // Rotations by L/2, L/4, ..., 1 lanes: adding each to the running vector leaves in lane 0 the
    // sum of all lanes by a fixed pairwise tree.
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] ROTATIONS = new VectorShuffle[Integer.numberOfTrailingZeros(L)];

    static {
        for (int k = 0, step = L / 2; step >= 1; k++, step /= 2) ROTATIONS[k] = VectorShuffle.iota(F, step, 1, true);
    }

    /**
     * The sum of the lanes of v by a fixed pairwise tree: the same bits interpreted or compiled
     * (unlike reduceLanes(ADD)), and few IR nodes (unlike lane-by-lane extraction, which can
     * exhaust C2's inlining budget for the kernel around it).
     */
    public static float laneSum(FloatVector v) {
        for (VectorShuffle<Float> r : ROTATIONS) v = v.add(v.rearrange(r));
        return v.lane(0);
    }

    /** x[off] + ... + x[off+n-1]. */
    public static float sum(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = F.indexInRange(j, n);
            acc = acc.add(FloatVector.fromArray(F, x, off + j, m));
        }
        return laneSum(acc);
    }

    /** Sum of a[aOff+j] * b[bOff+j] for j < n. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = F.indexInRange(j, n);
            acc = FloatVector.fromArray(F, a, aOff + j, m).fma(FloatVector.fromArray(F, b, bOff + j, m), acc);
        }
        return laneSum(acc);
    }

    /** Sum of (x[off+j] - c)^2 for j < n: the second pass of a two-pass variance. */
    public static float sumSquaredDeviation(float[] x, int off, int n, float c) {
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = F.indexInRange(j, n);
            FloatVector d = FloatVector.fromArray(F, x, off + j, m).sub(c);
            acc = acc.add(d.mul(d), m);
        }
        return laneSum(acc);
    }

    /** The largest of x[off..off+n), -infinity when n == 0; NaN if any element is NaN. */
    public static float max(float[] x, int off, int n) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = F.indexInRange(j, n);
            acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, off + j, m), m);
        }
        return acc.reduceLanes(VectorOperators.MAX); // max is exactly associative: any order gives the same bits
    }

    /**
     * Sum of x[0..n) in float64, in parallel. Fixed blocks of {@link #SUM_BLOCK} elements are each
     * summed in float32 lanes and the block sums added in order in float64, so the result does not
     * depend on the thread count.
     */
    public static double sum(float[] x, int n) {
        int blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
        double[] partial = new double[blocks];
        Parallel.forRange(blocks, 16, (s, e) -> {
            for (int b = s; b < e; b++) {
                int off = b * SUM_BLOCK;
                partial[b] = sum(x, off, Math.min(SUM_BLOCK, n - off));
            }
        });
        double total = 0;
        for (double p : partial) total += p;
        return total;
    }
}
