package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** The first token of each sequence: [B, T, D] -> [B, D] (BERT's [CLS] pooling). */
public final class ClsPoolOp {
    private ClsPoolOp() {}

    public static Var apply(Var x) {
        int[] xs = x.shape();
        Shape.check(xs.length == 3 && xs[1] >= 1, "ClsPoolOp", "input must be [batch, seq >= 1, dim]", xs);
        int batch = xs[0], seq = xs[1], dim = xs[2];
        float[] xd = x.value().toHeap().data();
        Tensor out = Scratch.allocate(batch, dim);
        for (int b = 0; b < batch; b++) System.arraycopy(xd, b * seq * dim, out.data(), b * dim, dim);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            float[] dy = y.grad().data(), dx = x.gradForAccumulation();
            for (int b = 0; b < batch; b++) Elementwise.axpy(1f, dy, b * dim, dx, b * seq * dim, dim);
        });
        return y;
    }
}
