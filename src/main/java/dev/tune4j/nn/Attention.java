package dev.tune4j.nn;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.AttentionOp;
import dev.tune4j.autograd.ops.ReshapeOp;
import dev.tune4j.autograd.ops.RopeOp;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.kernel.RopeTable;

import java.util.SplittableRandom;

/**
 * Multi-head self-attention: MHA when kvHeads == heads, grouped-query attention when fewer.
 * Projections keep the [B, T, H, Dh] layout the fused attention kernel reads, so no transposes.
 */
public final class Attention extends Module {
    private final int heads, kvHeads, headDim;
    private final RopeTable rope;          // null: positions are learned elsewhere
    private final RopeOp.Layout ropeLayout;
    public final Linear q, k, v, o;

    public Attention(TransformerConfig c, RopeTable rope, SplittableRandom rng) {
        this.heads = c.heads;
        this.kvHeads = c.kvHeads;
        this.headDim = c.headDim();
        this.rope = rope;
        this.ropeLayout = c.ropeLayout;
        float outStd = c.initStd / (float) Math.sqrt(2.0 * Math.max(1, c.layers));
        this.q = child("q", new Linear(c.hidden, heads * headDim, c.qkvBias, rng, c.initStd));
        this.k = child("k", new Linear(c.hidden, kvHeads * headDim, c.qkvBias, rng, c.initStd));
        this.v = child("v", new Linear(c.hidden, kvHeads * headDim, c.qkvBias, rng, c.initStd));
        this.o = child("o", new Linear(heads * headDim, c.hidden, c.attnOutBias, rng, outStd));
    }

    /**
     * x [B, T, D]; positions [T] or [B*T] (used only with RoPE). With a cache layer (decoding), the
     * new keys and values join the cached ones and the queries attend to all of them.
     */
    public Var forward(Var x, AttentionMask mask, int[] positions, KvCache.Layer cache) {
        int b = x.dim(0), t = x.dim(1);
        Var qh = ReshapeOp.apply(q.forward(x), b, t, heads, headDim);
        Var kh = ReshapeOp.apply(k.forward(x), b, t, kvHeads, headDim);
        Var vh = ReshapeOp.apply(v.forward(x), b, t, kvHeads, headDim);
        if (rope != null) {
            qh = RopeOp.apply(qh, rope, positions, ropeLayout);
            kh = RopeOp.apply(kh, rope, positions, ropeLayout);
        }
        if (cache != null) {
            Var[] kv = cache.append(kh, vh);
            kh = kv[0];
            vh = kv[1];
        }
        Var a = AttentionOp.apply(qh, kh, vh, mask, (float) (1.0 / Math.sqrt(headDim)));
        return o.forward(ReshapeOp.apply(a, b, t, heads * headDim));
    }
}
