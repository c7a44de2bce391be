package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Pooling;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * Masked mean over the sequence: [B, T, D] -> [B, D], averaging the tokens whose mask is 1
 * (sentence-transformers' mean pooling). An all-padding sequence pools to zeros.
 */
public final class MeanPoolOp {
    private MeanPoolOp() {}

    /** @param attentionMask [B][T], 1 for a token, 0 for padding */
    public static Var apply(Var x, int[][] attentionMask) {
        int[] xs = x.shape();
        Shape.check(xs.length == 3, "MeanPoolOp", "input must be [batch, seq, dim]", xs);
        int batch = xs[0], seq = xs[1], dim = xs[2];
        boolean ok = attentionMask.length == batch;
        for (int b = 0; ok && b < batch; b++) ok = attentionMask[b] != null && attentionMask[b].length == seq;
        Shape.check(ok, "MeanPoolOp", "attention mask must be [batch][seq]", xs, maskShape(attentionMask));
        int[][] mask = new int[batch][];
        for (int b = 0; b < batch; b++) mask[b] = attentionMask[b].clone();
        float[] inv = Pooling.maskWeights(mask);
        Tensor out = Scratch.allocate(batch, dim);
        Pooling.meanPoolForward(x.value().toHeap().data(), batch, seq, dim, mask, inv, out.data());
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() != null) Pooling.meanPoolBackward(y.grad().data(), batch, seq, dim, mask, inv, x.gradForAccumulation());
        });
        return y;
    }

    private static int[] maskShape(int[][] m) {
        return new int[] {m.length, m.length == 0 || m[0] == null ? 0 : m[0].length};
    }
}
