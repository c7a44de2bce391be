package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Activations;

/** GELU, elementwise. The backward recomputes from the input; no extra activation is kept. */
public final class GeluOp {
    private GeluOp() {}

    public enum Kind {
        /** tanh approximation, torch approximate='tanh' (GPT-2's "gelu_new"). */
        TANH,
        /** exact x * Phi(x) via erf, torch's default (BERT's "gelu"). */
        ERF;

        /** The kernel that computes it. */
        public Activations.Kind activation() {
            return this == TANH ? Activations.Kind.GELU_TANH : Activations.Kind.GELU_ERF;
        }
    }

    public static Var apply(Var x, Kind kind) {
        return ActivationOp.apply(kind.activation(), x, false);
    }

    /**
     * As {@link #apply}, for a caller that never reads x again: without a tape, a scratch x is
     * overwritten with the result (torch's inplace=True); under a tape, x is kept for the backward.
     */
    public static Var applyInPlace(Var x, Kind kind) {
        return ActivationOp.apply(kind.activation(), x, true);
    }
}
