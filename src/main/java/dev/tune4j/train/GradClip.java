package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.kernel.Parallel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Global gradient-norm clipping, as {@code torch.nn.utils.clip_grad_norm_}: the L2 norm over all
 * gradients together, and when it exceeds maxNorm every gradient is scaled by maxNorm / norm. Unlike
 * torch (which divides by norm + 1e-6), the clipped norm is exactly maxNorm (up to float32 rounding
 * of the scaled gradients). Frozen parameters and parameters without a gradient are ignored; a
 * parameter listed twice (tied weights) counts once.
 *
 * <p>The norm is summed in float64 over fixed blocks of elements, and the block sums are added in a
 * fixed order, so it is bitwise identical for any thread count.
 */
public final class GradClip {
    /** Elements per partial sum; fixed so the summation order never depends on the thread count. */
    static final int BLOCK = 1 << 14;
    private static final int MIN_CHUNK = 1 << 15;

    private GradClip() {}

    /**
     * Clips in place when the global norm exceeds {@code maxNorm}; returns the norm before clipping.
     *
     * @throws NonFiniteGradientException if a gradient holds NaN or infinity (nothing is scaled)
     */
    public static double clipGlobalNorm(List<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0) || !Double.isFinite(maxNorm)) {
            throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be finite and > 0, got " + maxNorm);
        }
        double norm = globalNorm(params);
        if (norm > maxNorm) scaleGrads(params, maxNorm / norm);
        return norm;
    }

    /**
     * The L2 norm of all gradients together, in float64.
     *
     * @throws NonFiniteGradientException if a gradient holds NaN or infinity
     */
    public static double globalNorm(List<Parameter> params) {
        double total = 0;
        for (Parameter p : withGrad(params)) total += sumOfSquares(p.grad().data());
        double norm = Math.sqrt(total);
        if (!Double.isFinite(norm)) throw firstNonFinite(params);
        return norm;
    }

    /** Multiplies every gradient by {@code factor} (rounded to float32 once). */
    public static void scaleGrads(List<Parameter> params, double factor) {
        float f = (float) factor;
        for (Parameter p : withGrad(params)) {
            float[] g = p.grad().data();
            Parallel.forRange(g.length, MIN_CHUNK, (s, e) -> {
                for (int i = s; i < e; i++) g[i] *= f;
            });
        }
    }

    /** Parameters that have a gradient to work on, each once, in the given order. */
    static List<Parameter> withGrad(List<Parameter> params) {
        List<Parameter> out = new ArrayList<>(params.size());
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : params) {
            if (!p.frozen() && p.grad() != null && seen.add(p)) out.add(p);
        }
        return out;
    }

    static double sumOfSquares(float[] g) {
        int blocks = (g.length + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        Parallel.forRange(blocks, Math.max(1, MIN_CHUNK / BLOCK), (s, e) -> {
            for (int b = s; b < e; b++) partial[b] = sumOfSquares(g, b * BLOCK, Math.min(g.length, (b + 1) * BLOCK));
        });
        double total = 0;
        for (double x : partial) total += x;
        return total;
    }

    /** Four independent accumulators (so the loop is not latency-bound), combined in a fixed order. */
    private static double sumOfSquares(float[] g, int from, int to) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            double x0 = g[i], x1 = g[i + 1], x2 = g[i + 2], x3 = g[i + 3];
            a0 += x0 * x0;
            a1 += x1 * x1;
            a2 += x2 * x2;
            a3 += x3 * x3;
        }
        for (; i < to; i++) {
            double x = g[i];
            a0 += x * x;
        }
        return (a0 + a1) + (a2 + a3);
    }

    private static RuntimeException firstNonFinite(List<Parameter> params) {
        for (Parameter p : withGrad(params)) {
            float[] g = p.grad().data();
            for (int i = 0; i < g.length; i++) {
                if (!Float.isFinite(g[i])) return new NonFiniteGradientException(p.name(), i, g[i]);
            }
        }
        // Unreachable for float32 inputs (their squares cannot overflow a double sum of < 2^31 terms per tensor).
        return new IllegalStateException("gradient norm is not finite but no gradient element is");
    }
}
