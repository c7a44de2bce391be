package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Softmax;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** Softmax over the last dimension (max-subtracted). The backward uses the output, not the input. */
public final class SoftmaxOp {
    private SoftmaxOp() {}

    public static Var apply(Var x) {
        int[] xs = x.shape();
        Shape.check(xs.length >= 1, "SoftmaxOp", "input needs at least one dimension", xs);
        int dim = xs[xs.length - 1];
        float[] xd = x.value().toHeap().data();
        int rows = dim == 0 ? 0 : xd.length / dim;
        Tensor out = Scratch.allocate(xs);
        Softmax.forward(xd, out.data(), rows, dim);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() != null) Softmax.backward(out.data(), y.grad().data(), x.gradForAccumulation(), rows, dim);
        });
        return y;
    }
}
