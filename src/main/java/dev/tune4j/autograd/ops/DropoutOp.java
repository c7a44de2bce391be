package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.DropoutKernel;
import dev.tune4j.tensor.Tensor;

/**
 * Inverted dropout: in training each element is zeroed with probability p and the rest scaled by
 * 1/(1-p); otherwise (or when p == 0) x itself is returned. The mask comes from one seed of the
 * site's {@link DropoutStream} (drawn only when dropout is active) through a counter-based hash,
 * so the same seed gives the same mask for any thread count, and the backward recomputes the mask
 * instead of storing it.
 */
public final class DropoutOp {
    private DropoutOp() {}

    public static Var apply(Var x, float p, DropoutStream masks, boolean training) {
        if (!(p >= 0f && p <= 1f)) throw new IllegalArgumentException("DropoutOp: p must be in [0, 1], got " + p);
        if (!training || p == 0f) return x;
        long seed = masks.next();
        float[] xd = x.value().toHeap().data();
        int n = xd.length;
        Tensor out = Scratch.allocate(x.shape());
        DropoutKernel.apply(xd, out.data(), false, n, p, seed);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() != null) DropoutKernel.apply(y.grad().data(), x.gradForAccumulation(), true, n, p, seed);
        });
        return y;
    }
}
