package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding on x [B, T, H, Dh]: every pair (a, b) of a head is rotated by the
 * angle of its position and pair index,
 * <pre>  x'[a] = x[a] cos - x[b] sin,   x'[b] = x[b] cos + x[a] sin.</pre>
 * Pair i is (i, i + Dh/2) in the half-split layout (Hugging Face Llama's rotate_half) and
 * (2i, 2i + 1) in the interleaved layout (GPT-J, original Meta checkpoints). The inverse rotation
 * (angle negated) is the backward of the forward one.
 */
public final class RopeKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private RopeKernel() {}

    /**
     * dst = rotate(src) (or dst += rotate(src) when accumulate), for rows = B*T rows of H heads.
     *
     * @param positions the position of each of the T tokens (shared by the batch) or of each of
     *                  the B*T rows
     * @param inverse   rotate by the negated angle (the backward)
     */
    public static void rotate(float[] src, float[] dst, boolean accumulate, int rows, int tokens, int heads,
                              RopeTable table, int[] positions, boolean interleaved, boolean inverse) {
        int Dh = table.headDim(), half = Dh / 2;
        // Pair i reads x[pairStride * i] and x[pairStride * i + partner].
        int pairStride = interleaved ? 2 : 1, partner = interleaved ? 1 : half;
        float sign = inverse ? -1f : 1f;
        Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, heads * Dh)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int pos = positions.length == rows ? positions[r] : positions[r % tokens];
                int tab = pos * half;
                for (int h = 0; h < heads; h++) {
                    int base = (r * heads + h) * Dh;
                    int i = 0;
                    if (pairStride == 1) i = rotateContiguous(src, dst, accumulate, base, half, table, tab, sign);
                    for (; i < half; i++) {
                        int a = base + pairStride * i, b = a + partner;
                        float c = table.cos[tab + i], s = sign * table.sin[tab + i];
                        float xa = src[a], xb = src[b];
                        float ya = xa * c - xb * s, yb = xb * c + xa * s;
                        if (accumulate) {
                            dst[a] += ya;
                            dst[b] += yb;
                        } else {
                            dst[a] = ya;
                            dst[b] = yb;
                        }
                    }
                }
            }
        });
    }

    /** Vector path for the half-split layout; returns the first pair left for the scalar loop. */
    private static int rotateContiguous(float[] src, float[] dst, boolean accumulate, int base, int half,
                                        RopeTable table, int tab, float sign) {
        int bound = F.loopBound(half);
        for (int i = 0; i < bound; i += F.length()) {
            // Same operations, in the same order, as the scalar loop, so both paths round alike.
            FloatVector c = FloatVector.fromArray(F, table.cos, tab + i);
            FloatVector s = FloatVector.fromArray(F, table.sin, tab + i).mul(sign);
            FloatVector xa = FloatVector.fromArray(F, src, base + i);
            FloatVector xb = FloatVector.fromArray(F, src, base + half + i);
            FloatVector ya = xa.mul(c).sub(xb.mul(s)), yb = xb.mul(c).add(xa.mul(s));
            if (accumulate) {
                ya = FloatVector.fromArray(F, dst, base + i).add(ya);
                yb = FloatVector.fromArray(F, dst, base + half + i).add(yb);
            }
            ya.intoArray(dst, base + i);
            yb.intoArray(dst, base + half + i);
        }
        return bound;
    }
}
