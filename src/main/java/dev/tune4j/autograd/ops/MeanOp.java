package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;

/** The mean of all elements, a scalar (shape []); NaN for an empty input, as torch. */
public final class MeanOp {
    private MeanOp() {}

    public static Var apply(Var x) {
        return SumOp.reduce(x, true);
    }
}
