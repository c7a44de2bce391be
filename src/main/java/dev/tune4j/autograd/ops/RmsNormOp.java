package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;

/** RMSNorm over the last dimension (Llama): x / sqrt(mean(x^2) + eps) * gamma. */
public final class RmsNormOp {
    private RmsNormOp() {}

    public static Var apply(Var x, Var gamma, float eps) {
        return NormOp.apply("RmsNormOp", false, x, gamma, null, eps);
    }
}
