package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * NEFTune (Jain et al., 2023): while training, uniform noise on the input embeddings,
 * <pre>
 *   y = x + u,   u ~ U(-m, m) elementwise,   m = alpha / sqrt(T * D)
 * </pre>
 * for x [B, T, D], as Hugging Face applies it to the token embeddings' output. The noise is a
 * constant, so the gradient passes through unchanged. Draws come from a {@link DropoutStream}, so a
 * resumed run adds the very noise an uninterrupted one adds.
 */
public final class NeftuneOp {
    private NeftuneOp() {}

    public static Var apply(Var x, float alpha, DropoutStream stream, boolean training) {
        if (!training || alpha == 0) return x;
        int[] s = x.shape();
        float m = (float) (alpha / Math.sqrt((double) s[1] * s[2]));
        float[] xd = x.data();
        Tensor out = Scratch.allocate(s);
        float[] yd = out.data();
        SplittableRandom rng = new SplittableRandom(stream.next());
        for (int i = 0; i < yd.length; i++) yd[i] = xd[i] + m * (2 * (float) rng.nextDouble() - 1);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            dev.tune4j.kernel.Elementwise.axpy(1f, y.grad().data(), x.gradForAccumulation(), yd.length);
        });
        return y;
    }
}
