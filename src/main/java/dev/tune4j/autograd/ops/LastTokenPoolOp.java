package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * The hidden state of each sequence's last real token: [B, T, D] -> [B, D], row b taken at the last
 * position whose attention mask is 1 (T - 1 without a mask). A causal decoder has read the whole
 * sequence there, which is why Hugging Face's *ForSequenceClassification decoders pool it. The
 * backward adds each pooled row's gradient back to the one position it came from.
 */
public final class LastTokenPoolOp {
    private LastTokenPoolOp() {}

    /** @param attentionMask [B][T], 1 for a token, 0 for padding (left, right or both); null: no padding */
    public static Var apply(Var x, int[][] attentionMask) {
        int[] xs = x.shape();
        Shape.check(xs.length == 3 && xs[1] >= 1, "LastTokenPoolOp", "input must be [batch, seq >= 1, dim]", xs);
        int batch = xs[0], seq = xs[1], dim = xs[2];
        int[] last = lastTokens(attentionMask, batch, seq);
        float[] xd = x.value().toHeap().data();
        Tensor out = Tensor.zeros(batch, dim);
        for (int b = 0; b < batch; b++) System.arraycopy(xd, (b * seq + last[b]) * dim, out.data(), b * dim, dim);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            float[] dy = y.grad().data(), dx = x.gradForAccumulation();
            for (int b = 0; b < batch; b++) Elementwise.axpy(1f, dy, b * dim, dx, (b * seq + last[b]) * dim, dim);
        });
        return y;
    }

    /** Per sequence, the last position whose mask is 1 (seq - 1 for every row when mask is null). */
    public static int[] lastTokens(int[][] mask, int batch, int seq) {
        int[] last = new int[batch];
        if (mask == null) {
            java.util.Arrays.fill(last, seq - 1);
            return last;
        }
        boolean ok = mask.length == batch;
        for (int b = 0; ok && b < batch; b++) ok = mask[b] != null && mask[b].length == seq;
        Shape.check(ok, "LastTokenPoolOp", "attention mask must be [batch][seq]", new int[] {batch, seq},
                new int[] {mask.length, mask.length == 0 || mask[0] == null ? 0 : mask[0].length});
        for (int b = 0; b < batch; b++) {
            int t = seq - 1;
            while (t >= 0 && mask[b][t] == 0) t--;
            if (t < 0) throw new IllegalArgumentException("LastTokenPoolOp: sequence " + b + " has no tokens (its attention mask is all 0)");
            last[b] = t;
        }
        return last;
    }
}
