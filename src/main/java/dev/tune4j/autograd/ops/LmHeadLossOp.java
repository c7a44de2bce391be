package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.CrossEntropyKernel;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.kernel.Gemm;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.util.Arrays;

/**
 * A language-model head and its next-token loss in one op, chunked over rows, so that the
 * [rows, vocab] logits never exist whole and their gradient never exists at all:
 * <pre>
 *   z_r = h_r·Wᵀ + b                        (one chunk of rows at a time, at most {@link #CHUNK_FLOATS})
 *   L   = sum over rows not ignored of -log softmax(z_r)[y_r]     (MEAN: divided by their count)
 *   g_r = softmax(z_r) - onehot(y_r)        (written over the chunk's logits)
 *   dh  = s·G·W,  dW = s·Gᵀ·H,  db = s·column sums of G,   s = dL/d(sum) from the backward
 * </pre>
 * Equal to {@link CrossEntropyOp} over {@link LinearOp}'s logits, up to float reassociation (the
 * scale s applies after the products here). While a tape records, the products with G run in the
 * forward, since the chunk's logits are gone by the backward: the op keeps dh [rows, hidden] and,
 * only for a trainable head, dW [vocab, hidden]; the backward scales them into the gradients.
 */
public final class LmHeadLossOp {
    /** Logits of one chunk of rows: at most this many floats (64 MB). */
    static final long CHUNK_FLOATS = 1L << 24;

    private LmHeadLossOp() {}

    public static Var apply(Var hidden, Var weight, Var bias, int[] targets, int ignoreIndex, CrossEntropyOp.Reduction reduction) {
        return apply(hidden, weight, bias, targets, ignoreIndex, reduction, CHUNK_FLOATS);
    }

    /** With chunks of at most {@code chunkFloats} logits (tests use small ones to cross chunk edges). */
    static Var apply(Var hidden, Var weight, Var bias, int[] targets, int ignoreIndex, CrossEntropyOp.Reduction reduction, long chunkFloats) {
        int[] hs = hidden.shape(), ws = weight.shape();
        Shape.check(ws.length == 2 && hs.length >= 1 && hs[hs.length - 1] == ws[1], "LmHeadLossOp",
                "hidden [..., d] and weight [vocab, d] needed", hs, ws);
        int d = ws[1], vocab = ws[0];
        if (bias != null) Shape.check(bias.shape().length == 1 && bias.shape()[0] == vocab, "LmHeadLossOp", "bias must be [vocab]", ws, bias.shape());
        int rows = (int) (Shape.numel(hs) / d);
        Shape.check(targets.length == rows, "LmHeadLossOp", targets.length + " targets for " + rows + " rows", hs, new int[] {targets.length});
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t != ignoreIndex && (t < 0 || t >= vocab)) {
                throw new IllegalArgumentException("LmHeadLossOp: target " + t + " at row " + r
                        + " is out of range for " + vocab + " classes (ignore index " + ignoreIndex + ")");
            }
        }
        int counted = CrossEntropyOp.count(targets, ignoreIndex);
        float rowWeight = reduction == CrossEntropyOp.Reduction.SUM ? 1f : counted == 0 ? 0f : 1f / counted;

        Tensor out = Tensor.zeros(1);
        Var y = Tape.output(out, hidden, weight, bias);
        boolean grads = y.requiresGrad() && counted > 0;
        float[] h = LinearOp.heap(hidden.value()).data();
        float[] b = bias == null ? null : LinearOp.heap(bias.value()).data();
        float[] dh = grads && hidden.requiresGrad() ? new float[rows * d] : null;
        float[] dw = grads && weight.requiresGrad() ? new float[vocab * d] : null;
        float[] db = grads && bias != null && bias.requiresGrad() ? new float[vocab] : null;

        int chunks = (int) Math.max(1, Math.min(rows, ((long) rows * vocab + chunkFloats - 1) / chunkFloats));
        int chunk = (rows + chunks - 1) / Math.max(1, chunks);
        float[] z = Scratch.allocate(Math.max(1, Math.min(rows, chunk)), vocab).data(); // reused when no tape records (evaluation)
        float[] stats = new float[2 * Math.max(1, chunk)];
        double sum = 0;
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int c = Math.min(chunk, rows - r0);
            int[] tc = Arrays.copyOfRange(targets, r0, r0 + c);
            long t0 = Profile.start();
            // z[c, vocab] = h[r0.., d] · W[vocab, d]ᵀ + b
            Gemm.gemm(c, vocab, d, h, r0 * d, d, false, weight.value().storage(), 0, d, true, z, 0, vocab, b, 0, false);
            Profile.stop(Profile.Phase.GEMM, t0);
            t0 = Profile.start();
            sum += CrossEntropyKernel.forward(z, c, vocab, tc, ignoreIndex, null, stats);
            if (grads) CrossEntropyKernel.gradientInPlace(z, stats, c, vocab, tc, ignoreIndex);
            Profile.stop(Profile.Phase.LOSS, t0);
            if (!grads) continue;
            t0 = Profile.start();
            // dh[r0.., d] = G[c, vocab] · W[vocab, d]
            if (dh != null) Gemm.gemm(c, d, vocab, z, 0, vocab, false, weight.value().storage(), 0, d, false, dh, r0 * d, d, null, 0, false);
            // dW[vocab, d] += G[c, vocab]ᵀ · h[r0.., d]
            if (dw != null) Gemm.gemm(vocab, d, c, z, 0, vocab, true, h, r0 * d, d, false, dw, 0, d, null, 0, true);
            if (db != null) {
                for (int i = 0; i < c; i++) Elementwise.axpy(1f, z, i * vocab, db, 0, vocab);
            }
            Profile.stop(Profile.Phase.GEMM, t0);
        }
        out.data()[0] = (float) (sum * rowWeight);
        if (grads) Tape.push(() -> {
            if (y.grad() == null) return;
            float s = y.grad().data()[0] * rowWeight;
            if (dh != null) Elementwise.axpy(s, dh, hidden.gradForAccumulation(), dh.length);
            if (dw != null) Elementwise.axpy(s, dw, weight.gradForAccumulation(), dw.length);
            if (db != null) Elementwise.axpy(s, db, bias.gradForAccumulation(), db.length);
        });
        return y;
    }
}
