package dev.tune4j.oracle;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.Arrays;
import java.util.Map;

/**
 * Reference BERT encoder ({@code BertModel}, as used by sentence-transformers) in float64 libtorch,
 * independent of the engine.
 *
 * <p>Embeddings: LayerNorm(word[ids] + position[0..T-1] + token_type[types]). Per layer (post-norm):
 * a = LayerNorm(x + attention.output.dense(attn(query(x), key(x), value(x)))),
 * out = LayerNorm(a + output.dense(act(intermediate.dense(a)))), with scores scaled by
 * 1/sqrt(head_dim) plus, for keys whose attention_mask is 0, float32's lowest value (as Hugging Face
 * adds). act is hidden_act (default "gelu", exact erf). Eps layer_norm_eps. No pooler, no dropout.
 *
 * <p>Weight names may carry a {@code bert.} prefix or none; it is detected from
 * {@code embeddings.word_embeddings.weight}. Gradients are reported under the checkpoint's names.
 */
public final class BertOracle {
    private BertOracle() {}

    private static final String WHO = "BertOracle";

    /** How {@link #encode} reduces the last hidden state [B, T, H]. */
    public enum Pooling {
        /** no reduction: the output is the last hidden state [B, T, H] */
        NONE,
        /** the mean over positions whose attention_mask is 1 (sentence-transformers mean pooling): [B, H] */
        MEAN,
        /** the first position's vector: [B, H] */
        CLS
    }

    /**
     * One encoder layer {@code encoder.layer.{layer}}.
     *
     * @param hidden        input hidden states [B, T, hidden_size], row-major
     * @param shape         {B, T, hidden_size}
     * @param attentionMask [B][T] of 0/1 (0 = padding key); null means all 1
     * @param upstream      W for loss = sum(out * W); null for forward only
     * @return output [B, T, H]; with upstream, grads of the layer's weights and of {@code hidden}
     */
    public static OracleResult layer(Checkpoint ckpt, int layer, float[] hidden, int[] shape, int[][] attentionMask, float[] upstream) {
        Config c = new Config(ckpt);
        if (shape.length != 3 || shape[2] != c.hidden) {
            throw new IllegalArgumentException(WHO + ": hidden shape must be [B, T, " + c.hidden + "], got " + Arrays.toString(shape));
        }
        try (PointerScope scope = new PointerScope()) {
            boolean grad = upstream != null;
            Leaves w = new Leaves(WHO, ckpt, grad);
            Tensor x = Torch.of(hidden, shape);
            if (grad) x = x.set_requires_grad(true);
            int[][] mask = attentionMask != null ? attentionMask : ones(shape[0], shape[1]);
            checkRect(mask, shape[0], shape[1], "attention_mask");
            return Finish.upstream(layer(c, w, layer, x, Ops.paddingMask(mask)), upstream, w, x);
        }
    }

    /**
     * The whole encoder, optionally pooled and L2-normalised (sentence embeddings).
     *
     * @param inputIds      token ids [B][T], T <= max_position_embeddings
     * @param attentionMask [B][T] of 0/1; null means all 1
     * @param tokenTypeIds  [B][T] segment ids; null means all 0
     * @param pooling       NONE (last hidden state [B, T, H]), MEAN or CLS ([B, H])
     * @param normalize     divide each output row by its L2 norm (only with MEAN or CLS)
     * @param upstream      W for loss = sum(out * W); null for forward only
     * @return the output; with upstream, grads of every used weight and of the hidden states
     *         entering layer 0 (after the embedding LayerNorm)
     */
    public static OracleResult encode(Checkpoint ckpt, int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds,
                                      Pooling pooling, boolean normalize, float[] upstream) {
        if (normalize && pooling == Pooling.NONE) throw new IllegalArgumentException(WHO + ": normalize needs MEAN or CLS pooling");
        Config c = new Config(ckpt);
        int b = inputIds.length, t = inputIds.length == 0 ? 0 : inputIds[0].length;
        if (t > c.positions) throw new IllegalArgumentException(WHO + ": sequence length " + t + " exceeds max_position_embeddings " + c.positions);
        int[][] mask = attentionMask != null ? attentionMask : ones(b, t);
        int[][] types = tokenTypeIds != null ? tokenTypeIds : new int[b][t];
        checkRect(mask, b, t, "attention_mask");
        checkRect(types, b, t, "token_type_ids");
        try (PointerScope scope = new PointerScope()) {
            Leaves w = new Leaves(WHO, ckpt, upstream != null);
            String p = c.p + "embeddings.";
            Tensor x = Ops.embed(w.get(p + "word_embeddings.weight", c.vocab, c.hidden), Torch.ids(inputIds, "input_ids"))
                    .add(w.get(p + "position_embeddings.weight", c.positions, c.hidden).narrow(0, 0, t))
                    .add(Ops.embed(w.get(p + "token_type_embeddings.weight", c.types, c.hidden), Torch.ids(types, "token_type_ids")));
            x = Ops.layerNorm(x, w.get(p + "LayerNorm.weight", c.hidden), w.get(p + "LayerNorm.bias", c.hidden), c.eps);
            Tensor embedded = x;
            if (x.requires_grad()) x.retain_grad();
            Tensor additive = Ops.paddingMask(mask);
            for (int i = 0; i < c.layers; i++) x = layer(c, w, i, x, additive);
            Tensor out = switch (pooling) {
                case NONE -> x;
                case MEAN -> Ops.meanPool(x, Torch.ids(mask, "attention_mask").to(ScalarType.Double));
                case CLS -> Ops.clsPool(x);
            };
            if (normalize) out = Ops.l2Normalize(out);
            return Finish.upstream(out, upstream, w, embedded);
        }
    }

    private static Tensor layer(Config c, Leaves w, int i, Tensor x, Tensor mask) {
        String p = c.p + "encoder.layer." + i + ".";
        int e = c.hidden, hd = e / c.heads;
        Tensor q = Ops.splitHeads(Ops.linear(x, w.get(p + "attention.self.query.weight", e, e), w.get(p + "attention.self.query.bias", e)), c.heads, hd);
        Tensor k = Ops.splitHeads(Ops.linear(x, w.get(p + "attention.self.key.weight", e, e), w.get(p + "attention.self.key.bias", e)), c.heads, hd);
        Tensor v = Ops.splitHeads(Ops.linear(x, w.get(p + "attention.self.value.weight", e, e), w.get(p + "attention.self.value.bias", e)), c.heads, hd);
        Tensor a = Ops.mergeHeads(Ops.attention(q, k, v, mask, 1 / Math.sqrt(hd)));
        a = Ops.linear(a, w.get(p + "attention.output.dense.weight", e, e), w.get(p + "attention.output.dense.bias", e));
        x = Ops.layerNorm(x.add(a), w.get(p + "attention.output.LayerNorm.weight", e), w.get(p + "attention.output.LayerNorm.bias", e), c.eps);

        Tensor m = Ops.linear(x, w.get(p + "intermediate.dense.weight", c.inter, e), w.get(p + "intermediate.dense.bias", c.inter));
        m = Ops.linear(Ops.activation(WHO, c.act, m), w.get(p + "output.dense.weight", e, c.inter), w.get(p + "output.dense.bias", e));
        return Ops.layerNorm(x.add(m), w.get(p + "output.LayerNorm.weight", e), w.get(p + "output.LayerNorm.bias", e), c.eps);
    }

    private static int[][] ones(int b, int t) {
        int[][] m = new int[b][t];
        for (int[] row : m) Arrays.fill(row, 1);
        return m;
    }

    private static void checkRect(int[][] m, int b, int t, String what) {
        if (m.length != b) throw new IllegalArgumentException(WHO + ": " + what + " has " + m.length + " rows, input has " + b);
        for (int[] row : m) {
            if (row.length != t) throw new IllegalArgumentException(WHO + ": " + what + " rows must have " + t + " entries, got " + row.length);
        }
    }

    private static final class Config {
        final String p;
        final int hidden, heads, layers, inter, vocab, positions, types;
        final double eps;
        final String act;

        Config(Checkpoint ckpt) {
            Map<String, Object> map = ckpt.config();
            Cfg c = new Cfg(WHO, map);
            String type = c.s("model_type", "bert");
            if (!type.equals("bert")) throw c.unsupported("model_type " + type);
            String pos = c.s("position_embedding_type", "absolute");
            if (!pos.equals("absolute")) throw c.unsupported("position_embedding_type " + pos);
            p = ckpt.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
            hidden = c.i("hidden_size");
            heads = c.i("num_attention_heads");
            layers = c.i("num_hidden_layers");
            inter = c.i("intermediate_size");
            vocab = c.i("vocab_size");
            positions = c.i("max_position_embeddings");
            types = c.i("type_vocab_size", 2);
            eps = c.d("layer_norm_eps", 1e-12);
            act = c.s("hidden_act", "gelu");
            if (hidden % heads != 0) throw new IllegalArgumentException(WHO + ": hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
    }
}
