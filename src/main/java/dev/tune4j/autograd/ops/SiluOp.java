package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Activations;

/** SiLU (swish): x * sigmoid(x), elementwise. */
public final class SiluOp {
    private SiluOp() {}

    public static Var apply(Var x) {
        return ActivationOp.apply(Activations.Kind.SILU, x, false);
    }
}
