package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Inverted dropout with a counter-based mask: element i is kept iff a hash of (seed, i) clears the
 * drop probability. The mask is a pure function of the seed and the index, so it needs no storage
 * (the backward recomputes it), it is the same for any thread count and vector length, and the
 * forward and backward are the one kernel below.
 */
public final class DropoutKernel {
    private DropoutKernel() {}

    /** Same lane count as F: int and float are both 32 bits. */
    private static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, F.vectorShape());

    /**
     * dst[i] (= or +=) src[i] * keep(i) / (1 - p), keep(i) = hash(seed, i) >= p, 0 <= p <= 1 (p = 1 drops everything).
     */
    public static void apply(float[] src, float[] dst, boolean accumulate, int n, float p, long seed) {
        if (!(p >= 0f && p <= 1f)) throw new IllegalArgumentException("dropout probability must be in [0, 1], got " + p);
        float scale = 1f / (1f - p);
        // keep iff the top 24 bits of the hash, as an integer in [0, 2^24), are >= p * 2^24
        int threshold = (int) Math.round(p * (double) (1 << 24));
        int k1 = (int) seed, k2 = (int) (seed >>> 32);
        Elementwise.forVectors(n, Elementwise.GRAIN, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                IntVector h = hash(IntVector.zero(INT).addIndex(1).add(i), k1, k2);
                VectorMask<Float> keep = h.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.GE, threshold).cast(F);
                FloatVector v = FloatVector.fromArray(F, src, i, m).mul(scale);
                v = FloatVector.zero(F).blend(v, keep);
                if (accumulate) v = v.add(FloatVector.fromArray(F, dst, i, m));
                v.intoArray(dst, i, m);
            }
        });
    }

    /** Two rounds of the murmur3 32-bit finaliser over the index, keyed by the seed halves. */
    static IntVector hash(IntVector index, int k1, int k2) {
        IntVector h = fmix(index.mul(0x9E3779B9).lanewise(VectorOperators.XOR, k1));
        return fmix(h.add(k2));
    }

    private static IntVector fmix(IntVector h) {
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
        return h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
    }

    /** Whether element i is kept (scalar form of the mask, for tests and callers that need it). */
    public static boolean kept(long seed, int i, float p) {
        int threshold = (int) Math.round(p * (double) (1 << 24));
        IntVector h = hash(IntVector.broadcast(INT, i), (int) seed, (int) (seed >>> 32));
        return (h.lane(0) >>> 8) >= threshold;
    }
}
