package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Pooling;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** x / max(||x||, eps) over the last dimension, as torch.nn.functional.normalize (eps 1e-12 there). */
public final class L2NormalizeOp {
    private L2NormalizeOp() {}

    public static Var apply(Var x, float eps) {
        int[] xs = x.shape();
        Shape.check(xs.length >= 1, "L2NormalizeOp", "input needs at least one dimension", xs);
        if (!(eps > 0f)) throw new IllegalArgumentException("L2NormalizeOp: eps must be > 0, got " + eps);
        int dim = xs[xs.length - 1];
        float[] xd = x.value().toHeap().data();
        int rows = dim == 0 ? 0 : xd.length / dim;
        float[] norm = new float[rows];
        Tensor out = Scratch.allocate(xs);
        Pooling.l2NormalizeForward(xd, out.data(), norm, rows, dim, eps);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() != null) Pooling.l2NormalizeBackward(out.data(), norm, y.grad().data(), x.gradForAccumulation(), rows, dim, eps);
        });
        return y;
    }
}
