package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.AddOp;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.autograd.ops.DropoutOp;
import dev.tune4j.autograd.ops.DropoutStream;
import dev.tune4j.autograd.ops.CrossEntropyOp;
import dev.tune4j.autograd.ops.LinearOp;
import dev.tune4j.autograd.ops.LmHeadLossOp;
import dev.tune4j.autograd.ops.NeftuneOp;
import dev.tune4j.kernel.RopeTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The transformer backbone every family builds: token (+ learned position, + token type)
 * embeddings, a stack of blocks, an optional final norm, and an optional LM head (tied to the token
 * embeddings or its own weight). Decoders (GPT-2, Llama) and encoders (BERT) differ only in config.
 */
public final class Transformer extends Module {
    public final TransformerConfig config;
    public final Embedding embed;
    public final Embedding posEmbed;   // learned positions only
    public final Embedding typeEmbed;  // BERT token types only
    public final Norm embedNorm;       // post-norm encoders normalise the embedding sum
    public final List<Block> layers = new ArrayList<>();
    public final Norm finalNorm;
    public final Linear lmHead;        // untied head only
    public final Parameter lmHeadBias;
    private final DropoutStream dropoutRng;
    private final DropoutStream noiseRng;
    private float neftuneAlpha;

    public Transformer(TransformerConfig c) {
        this.config = c.validate();
        SplittableRandom rng = new SplittableRandom(c.seed);
        this.embed = child("embed", new Embedding(c.vocabSize, c.hidden, rng, c.initStd));
        this.posEmbed = c.positions == TransformerConfig.Positions.LEARNED
                ? child("pos_embed", new Embedding(c.maxPositions, c.hidden, rng, c.initStd)) : null;
        this.typeEmbed = c.typeVocabSize > 0 ? child("type_embed", new Embedding(c.typeVocabSize, c.hidden, rng, c.initStd)) : null;
        this.embedNorm = c.embeddingNorm ? child("embed_norm", new Norm(c.norm, c.hidden, c.normEps)) : null;
        RopeTable rope = c.positions == TransformerConfig.Positions.ROPE
                ? new RopeTable(c.headDim(), c.ropeTheta, c.maxPositions, c.ropeScalingKind()) : null;
        Module stack = new Module() {};
        for (int i = 0; i < c.layers; i++) {
            layers.add(stack.child(Integer.toString(i), new Block(c, rope, rng)));
        }
        child("layers", stack);
        this.finalNorm = c.finalNorm ? child("final_norm", new Norm(c.norm, c.hidden, c.normEps)) : null;
        this.lmHead = c.lmHead && !c.tieEmbeddings ? child("lm_head", new Linear(c.hidden, c.vocabSize, false, rng, c.initStd)) : null;
        this.lmHeadBias = c.lmHead && c.lmHeadBias ? param("lm_head_bias", dev.tune4j.tensor.Tensor.zeros(c.vocabSize)) : null;
        this.dropoutRng = DropoutStream.split(rng);
        this.noiseRng = new DropoutStream(c.seed ^ 0x4E45_4654L); // not drawn from rng: weights keep their values
    }

    /** NEFTune: noise of scale alpha / sqrt(T * D) on the token embeddings while training (0: off). */
    public void setNeftuneAlpha(double alpha) {
        if (!(alpha >= 0) || Double.isInfinite(alpha)) throw new IllegalArgumentException("neftune alpha must be >= 0, got " + alpha);
        this.neftuneAlpha = (float) alpha;
    }

    /**
     * Every parameter a Transformer of this config has, name -> shape, without building one: a
     * checkpoint is checked against its config.json before any memory is spent on it. Mirrors the
     * constructor (TransformerShapesTest builds each kind of config and compares).
     */
    public static Map<String, int[]> parameterShapes(TransformerConfig c) {
        c.validate();
        Map<String, int[]> s = new LinkedHashMap<>();
        s.put("embed.weight", new int[] {c.vocabSize, c.hidden});
        if (c.positions == TransformerConfig.Positions.LEARNED) s.put("pos_embed.weight", new int[] {c.maxPositions, c.hidden});
        if (c.typeVocabSize > 0) s.put("type_embed.weight", new int[] {c.typeVocabSize, c.hidden});
        if (c.embeddingNorm) norm(s, "embed_norm", c);
        int q = c.heads * c.headDim(), kv = c.kvHeads * c.headDim();
        for (int i = 0; i < c.layers; i++) {
            String p = "layers." + i + ".";
            linear(s, p + "attn.q", c.hidden, q, c.qkvBias);
            linear(s, p + "attn.k", c.hidden, kv, c.qkvBias);
            linear(s, p + "attn.v", c.hidden, kv, c.qkvBias);
            linear(s, p + "attn.o", q, c.hidden, c.attnOutBias);
            norm(s, p + "norm1", c);
            if (c.mlp == TransformerConfig.Mlp.SWIGLU) linear(s, p + "mlp.gate", c.hidden, c.intermediate, c.mlpBias);
            linear(s, p + "mlp.up", c.hidden, c.intermediate, c.mlpBias);
            linear(s, p + "mlp.down", c.intermediate, c.hidden, c.mlpBias);
            norm(s, p + "norm2", c);
        }
        if (c.finalNorm) norm(s, "final_norm", c);
        if (c.lmHead && !c.tieEmbeddings) linear(s, "lm_head", c.hidden, c.vocabSize, false);
        if (c.lmHead && c.lmHeadBias) s.put("lm_head_bias", new int[] {c.vocabSize});
        return s;
    }

    /** A {@link Linear}'s parameters: weight [out, in], bias [out]. */
    public static void linear(Map<String, int[]> s, String name, int in, int out, boolean bias) {
        s.put(name + ".weight", new int[] {out, in});
        if (bias) s.put(name + ".bias", new int[] {out});
    }

    private static void norm(Map<String, int[]> s, String name, TransformerConfig c) {
        s.put(name + ".weight", new int[] {c.hidden});
        if (c.norm == Norm.Kind.LAYER_NORM) s.put(name + ".bias", new int[] {c.hidden});
    }

    /**
     * Final hidden states [B, T, D]. Without a tape the intermediate results live in a
     * {@link Scratch} scope of this call; the result is kept, so it belongs to the caller (or to
     * the caller's own open scope).
     */
    public Var hidden(TokenBatch batch) {
        return hidden(batch, null);
    }

    /**
     * Final hidden states [B, T, D] of the batch's tokens; with a cache (decoding), they continue
     * the cached positions, and their keys and values join the cache.
     */
    public Var hidden(TokenBatch batch, KvCache cache) {
        int b = batch.batch(), t = batch.seq();
        int end = (cache == null ? 0 : cache.length()) + t;
        if (posEmbed != null && end > config.maxPositions) {
            throw new IllegalArgumentException("sequence length " + end + " exceeds the model's " + config.maxPositions + " positions");
        }
        if (cache != null && cache.batch() != b) {
            throw new IllegalArgumentException("KvCache holds " + cache.batch() + " rows, the batch has " + b);
        }
        if (config.slidingWindow > 0 && end > config.slidingWindow) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model's sliding_window " + config.slidingWindow
                    + "; sliding-window attention is not implemented, so sequences are limited to " + config.slidingWindow + " tokens");
        }
        try (Scratch scratch = Scratch.open()) {
            Var x = NeftuneOp.apply(embed.forward(batch.ids(), b, t), neftuneAlpha, noiseRng, isTraining());
            int[] positions = cache != null && batch.positions() == null ? cache.positions(t, batch.attentionMask()) : batch.positionsOrDefault();
            if (posEmbed != null) {
                int[] pos = new int[b * t];
                for (int i = 0; i < b * t; i++) pos[i] = positions.length == t ? positions[i % t] : positions[i];
                x = AddOp.apply(x, posEmbed.forward(pos, b, t));
            }
            if (typeEmbed != null) {
                int[] types = batch.tokenTypes() != null ? batch.tokenTypes() : new int[b * t];
                x = AddOp.apply(x, typeEmbed.forward(types, b, t));
            }
            if (embedNorm != null) x = embedNorm.forward(x);
            x = DropoutOp.apply(x, config.dropout, dropoutRng, isTraining());
            AttentionMask mask = cache != null ? cache.beginStep(t, batch.attentionMask())
                    : batch.segments() != null ? AttentionMask.packed(batch.segments(), batch.attentionMask())
                    : new AttentionMask(config.causal, batch.attentionMask());
            for (int l = 0; l < layers.size(); l++) x = layers.get(l).forward(x, mask, positions, cache == null ? null : cache.layer(l));
            if (cache != null) cache.endStep(t, batch.attentionMask());
            if (finalNorm != null) x = finalNorm.forward(x);
            return scratch.keep(x);
        }
    }

    /** Logits [B, T, V] from hidden states. */
    public Var logits(Var hidden) {
        if (!config.lmHead) throw new IllegalStateException("this model has no LM head");
        Parameter w = lmHead != null ? lmHead.weight : embed.weight;
        return LinearOp.apply(hidden, w, lmHeadBias);
    }

    public Var logits(TokenBatch batch) {
        return logits(hidden(batch));
    }

    /**
     * The next-token cross-entropy of the LM head over hidden states [..., d], one target per row
     * (ignoreIndex left out): {@link LmHeadLossOp}, which never holds the whole logits or their gradient.
     */
    public Var lmLoss(Var hidden, int[] targets, int ignoreIndex, CrossEntropyOp.Reduction reduction) {
        if (!config.lmHead) throw new IllegalStateException("this model has no LM head");
        Parameter w = lmHead != null ? lmHead.weight : embed.weight;
        return LmHeadLossOp.apply(hidden, w, lmHeadBias, targets, ignoreIndex, reduction);
    }
}
