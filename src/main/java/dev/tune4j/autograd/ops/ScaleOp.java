package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Tensor;

/** s * x for a constant s. */
public final class ScaleOp {
    private ScaleOp() {}

    public static Var apply(Var x, float s) {
        int n = (int) x.value().numel();
        Tensor out = Scratch.allocate(x.shape());
        Elementwise.scale(x.value().toHeap().data(), s, out.data(), n);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() != null) Elementwise.axpy(s, y.grad().data(), x.gradForAccumulation(), n);
        });
        return y;
    }
}
