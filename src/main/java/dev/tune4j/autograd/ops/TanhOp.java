package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Activations;

/**
 * tanh, elementwise (BERT's pooler). The backward, dx += dy * (1 - tanh(x)^2), recomputes tanh from
 * the input like the other activations, so no output copy is kept.
 */
public final class TanhOp {
    private TanhOp() {}

    public static Var apply(Var x) {
        return ActivationOp.apply(Activations.Kind.TANH, x, false);
    }
}
