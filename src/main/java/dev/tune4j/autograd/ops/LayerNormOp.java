package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;

/**
 * LayerNorm over the last dimension: (x - mean) / sqrt(var + eps) * gamma + beta, with the biased
 * variance (as torch). Statistics are float32, the variance by two passes; 2 floats per row are
 * kept for the backward.
 */
public final class LayerNormOp {
    private LayerNormOp() {}

    /** @param beta null for no bias */
    public static Var apply(Var x, Var gamma, Var beta, float eps) {
        return NormOp.apply("LayerNormOp", true, x, gamma, beta, eps);
    }
}
