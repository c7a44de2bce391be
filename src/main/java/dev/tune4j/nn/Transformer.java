package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.AddOp;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.autograd.ops.DropoutOp;
import dev.tune4j.autograd.ops.DropoutStream;
import dev.tune4j.autograd.ops.LinearOp;
import dev.tune4j.kernel.RopeTable;

import java.util.ArrayList;
import java.util.List;
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
    }

    /**
     * Final hidden states [B, T, D]. Without a tape the intermediate results live in a
     * {@link Scratch} scope of this call; the result is kept, so it belongs to the caller (or to
     * the caller's own open scope).
     */
    public Var hidden(TokenBatch batch) {
        int b = batch.batch(), t = batch.seq();
        if (posEmbed != null && t > config.maxPositions) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model's " + config.maxPositions + " positions");
        }
        if (config.slidingWindow > 0 && t > config.slidingWindow) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model's sliding_window " + config.slidingWindow
                    + "; sliding-window attention is not implemented, so sequences are limited to " + config.slidingWindow + " tokens");
        }
        try (Scratch scratch = Scratch.open()) {
            Var x = embed.forward(batch.ids(), b, t);
            int[] positions = batch.positionsOrDefault();
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
            AttentionMask mask = new AttentionMask(config.causal, batch.attentionMask());
            for (Block block : layers) x = block.forward(x, mask, positions);
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
}
