package dev.tune4j.nn;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.AddNormOp;
import dev.tune4j.autograd.ops.AddOp;
import dev.tune4j.autograd.ops.DropoutOp;
import dev.tune4j.autograd.ops.DropoutStream;
import dev.tune4j.kernel.AttentionMask;
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

    /**
     * x [B, T, D] -> [B, T, D]. The residual add before each norm is one {@link AddNormOp}. Without
     * a tape, the block's intermediate results (projections, attention, MLP activations) are
     * scratch buffers that the next block reuses; only the output outlives the call. A cache layer
     * (decoding) keeps this block's keys and values across calls.
     */
    public Var forward(Var x, AttentionMask mask, int[] positions, KvCache.Layer cache) {
        try (Scratch scratch = Scratch.open()) {
            Var out;
            if (preNorm) {
                // x + attn(norm1(x)) and its norm2, the MLP's input, in one op
                AddNormOp.Result res = norm2.addForward(x, drop(attn.forward(norm1.forward(x), mask, positions, cache)));
                out = AddOp.apply(res.sum(), drop(mlp.forward(res.y())));
            } else {
                Var h = norm1.forward(x, drop(attn.forward(x, mask, positions, cache)));
                out = norm2.forward(h, drop(mlp.forward(h)));
            }
            return scratch.keep(out);
        }
    }

    private Var drop(Var x) {
        return DropoutOp.apply(x, dropout, dropoutRng, isTraining());
    }
}
