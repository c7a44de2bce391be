package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.kernel.Reduce;
import dev.tune4j.tensor.Tensor;

/** The sum of all elements, a scalar (shape []); accumulated in float64, independent of the thread count. */
public final class SumOp {
    private SumOp() {}

    public static Var apply(Var x) {
        return reduce(x, false);
    }

    /** Sum, or mean when {@code mean} (shared with {@link MeanOp}). */
    static Var reduce(Var x, boolean mean) {
        float[] xd = x.value().toHeap().data();
        int n = xd.length;
        double s = Reduce.sum(xd, n);
        float w = mean ? 1f / n : 1f;
        Var y = Tape.output(Tensor.of(new float[] {(float) (mean ? s / n : s)}), x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() != null) Elementwise.addConstant(y.grad().data()[0] * w, x.gradForAccumulation(), n);
        });
        return y;
    }
}
