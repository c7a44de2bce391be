package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** a * b, elementwise, same shapes. */
public final class MulOp {
    private MulOp() {}

    public static Var apply(Var a, Var b) {
        Shape.check(a.value().sameShape(b.value()), "MulOp", "shapes differ", a.shape(), b.shape());
        int n = (int) a.value().numel();
        float[] ad = a.value().toHeap().data(), bd = b.value().toHeap().data();
        Tensor out = Scratch.allocate(a.shape());
        Elementwise.mul(ad, bd, out.data(), n);
        Var y = Tape.output(out, a, b);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            float[] dy = y.grad().data();
            if (a.requiresGrad()) Elementwise.addProduct(dy, bd, a.gradForAccumulation(), n);
            if (b.requiresGrad()) Elementwise.addProduct(dy, ad, b.gradForAccumulation(), n);
        });
        return y;
    }
}
