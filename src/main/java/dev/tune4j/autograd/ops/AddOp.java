package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** a + b, elementwise, same shapes (a residual connection). */
public final class AddOp {
    private AddOp() {}

    public static Var apply(Var a, Var b) {
        Shape.check(a.value().sameShape(b.value()), "AddOp", "shapes differ", a.shape(), b.shape());
        int n = (int) a.value().numel();
        Tensor out = Scratch.allocate(a.shape());
        Elementwise.add(a.value().toHeap().data(), b.value().toHeap().data(), out.data(), n);
        Var y = Tape.output(out, a, b);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            float[] dy = y.grad().data();
            if (a.requiresGrad()) Elementwise.axpy(1f, dy, a.gradForAccumulation(), n);
            if (b.requiresGrad()) Elementwise.axpy(1f, dy, b.gradForAccumulation(), n);
        });
        return y;
    }
}
