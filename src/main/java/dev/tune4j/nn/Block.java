package dev.tune4j.nn;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.AddOp;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.autograd.ops.DropoutOp;
import dev.tune4j.autograd.ops.DropoutStream;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.kernel.RopeTable;

import java.util.SplittableRandom;

/**
 * One transformer block. Pre-norm (GPT-2, Llama): x + attn(norm1(x)), then + mlp(norm2(x)).
 * Post-norm (BERT): norm1(x + attn(x)), then norm2(x + mlp(x)).
 */
public final class Block extends Module {
    private final boolean preNorm;
    private final float dropout;
    private final DropoutStream dropoutRng;
    public final Norm norm1, norm2;
    public final Attention attn;
    public final Mlp mlp;

    public Block(TransformerConfig c, RopeTable rope, SplittableRandom rng) {
        this.preNorm = c.preNorm;
        this.dropout = c.dropout;
        this.dropoutRng = DropoutStream.split(rng);
        this.attn = child("attn", new Attention(c, rope, rng));
        this.norm1 = child("norm1", new Norm(c.norm, c.hidden, c.normEps));
        this.mlp = child("mlp", new Mlp(c, rng));
        this.norm2 = child("norm2", new Norm(c.norm, c.hidden, c.normEps));
    }

    public Var forward(Var x, AttentionMask mask, int[] positions) {
        if (preNorm) {
            x = AddOp.apply(x, drop(attn.forward(norm1.forward(x), mask, positions)));
            return AddOp.apply(x, drop(mlp.forward(norm2.forward(x))));
        }
        x = norm1.forward(AddOp.apply(x, drop(attn.forward(x, mask, positions))));
        return norm2.forward(AddOp.apply(x, drop(mlp.forward(x))));
    }

    /**
     * Inference (no tape, no dropout): {@link #forward} on the residual stream x [b·t, D], updated
     * in place, with intermediate results in buf. The same kernels in the same order, so the same
     * bits, but with the residual add fused into the norm and the activation applied in place.
     */
    void infer(float[] x, int b, int t, AttentionMask mask, int[] positions, InferenceBuffers buf) {
        int rows = b * t;
        if (preNorm) {
            norm1.addForwardInto(x, null, null, buf.normed, rows);
            attn.infer(buf.normed, b, t, mask, positions, buf);
            norm2.addForwardInto(x, buf.out, x, buf.normed, rows);        // x += attn; normed = norm2(x)
            mlp.infer(buf.normed, rows, buf);
            Elementwise.add(x, buf.out, x, rows * norm1.weight.value().dim(0));
        } else {
            attn.infer(x, b, t, mask, positions, buf);
            norm1.addForwardInto(x, buf.out, x, x, rows);                 // x = norm1(x + attn)
            mlp.infer(x, rows, buf);
            norm2.addForwardInto(x, buf.out, x, x, rows);                 // x = norm2(x + mlp)
        }
    }

    private Var drop(Var x) {
        return DropoutOp.apply(x, dropout, dropoutRng, isTraining());
    }
}
