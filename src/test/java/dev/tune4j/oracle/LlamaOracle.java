package dev.tune4j.oracle;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.util.Map;

/**
 * Reference Llama-family decoder ({@code LlamaForCausalLM}, {@code MistralForCausalLM},
 * {@code Qwen2ForCausalLM}) in float64 libtorch, independent of the engine.
 *
 * <p>Per layer: x + o_proj(attn(rope(q), rope(k), v)) after input_layernorm (RMSNorm), then
 * + down_proj(silu(gate_proj(h)) * up_proj(h)) after post_attention_layernorm. Grouped-query
 * attention (query head h reads kv head h / (heads / kv_heads)), scale 1/sqrt(head_dim), causal
 * mask (plus Mistral's sliding_window when set), rotate-half RoPE at positions 0..T-1 with
 * {@link Rope#inverseFrequencies}. q/k/v biases when model_type is qwen2 or attention_bias is true
 * (o_proj bias too for attention_bias), MLP biases when mlp_bias is true. No dropout. Projections
 * the checkpoint holds LoRA weights for add their update ({@link LoraTerm}).
 */
public final class LlamaOracle {
    private LlamaOracle() {}

    private static final String WHO = "LlamaOracle";

    /**
     * One decoder layer.
     *
     * @param ckpt     config + weights (needs the {@code model.layers.{layer}.*} tensors)
     * @param layer    layer index i
     * @param hidden   input hidden states, row-major [B, T, hidden_size]
     * @param shape    {B, T, hidden_size}
     * @param upstream W of the same size as the output, for loss = sum(out * W); null for forward only
     * @return output [B, T, hidden_size]; with upstream, grads of the layer's weights and of {@code hidden}
     */
    public static OracleResult layer(Checkpoint ckpt, int layer, float[] hidden, int[] shape, float[] upstream) {
        Config c = new Config(ckpt.config());
        if (shape.length != 3 || shape[2] != c.hidden) {
            throw new IllegalArgumentException(WHO + ": hidden shape must be [B, T, " + c.hidden + "], got " + java.util.Arrays.toString(shape));
        }
        try (PointerScope scope = new PointerScope()) {
            boolean grad = upstream != null;
            Leaves w = new Leaves(WHO, ckpt, grad);
            Tensor x = Torch.of(hidden, shape);
            if (grad) x = x.set_requires_grad(true);
            Tensor out = layer(c, w, layer, x, shape[1]);
            return Finish.upstream(out, upstream, w, x);
        }
    }

    /**
     * Whole causal LM: embed_tokens, the layers, model.norm, then lm_head (or the embeddings when
     * tie_word_embeddings is true or lm_head.weight is absent).
     *
     * @param inputIds token ids [B][T]
     * @param upstream W [B*T*V] for loss = sum(logits * W); null for forward only
     * @return logits [B, T, vocab_size]; with upstream, grads of every used weight and of the
     *         hidden states entering layer 0
     */
    public static OracleResult logits(Checkpoint ckpt, int[][] inputIds, float[] upstream) {
        try (PointerScope scope = new PointerScope()) {
            Config c = new Config(ckpt.config());
            Leaves w = new Leaves(WHO, ckpt, upstream != null);
            Tensor[] embedded = new Tensor[1];
            Tensor logits = model(c, ckpt, w, Torch.ids(inputIds, "input_ids"), embedded);
            return Finish.upstream(logits, upstream, w, embedded[0]);
        }
    }

    /**
     * Whole causal LM trained on next-token targets: mean cross-entropy of logits[b, t] against
     * targets[b][t] over the entries that are not -100 (targets are already aligned with the
     * positions: pass the labels shifted left yourself). Backward runs from that mean.
     *
     * @return logits [B, T, V], the loss, grads of every used weight and of the hidden states entering layer 0
     */
    public static OracleResult loss(Checkpoint ckpt, int[][] inputIds, int[][] targets) {
        try (PointerScope scope = new PointerScope()) {
            Config c = new Config(ckpt.config());
            Leaves w = new Leaves(WHO, ckpt, true);
            Tensor[] embedded = new Tensor[1];
            Tensor logits = model(c, ckpt, w, Torch.ids(inputIds, "input_ids"), embedded);
            return Finish.crossEntropy(WHO, logits, Torch.ids(targets, "targets"), w, embedded[0]);
        }
    }

    /**
     * {@code *ForSequenceClassification} (Llama, Mistral, Qwen2): the final hidden state (after
     * model.norm) of each row's last real token, times score.weight [K, hidden] (no bias); with
     * labels, the mean cross-entropy (class-weighted as torch's weight=, -100 ignored), differentiated.
     * Rows are right-padded: lengths[b] real tokens, then padding, which a causal model never reads
     * from earlier positions, so no attention mask is needed.
     *
     * @param lengths      real tokens per row, 1..T
     * @param labels       class per row, or null for forward only
     * @param classWeights one weight per class, or null for all 1
     * @return logits [B, K]; with labels, the loss, grads of every used weight and of the hidden states entering layer 0
     */
    public static OracleResult classify(Checkpoint ckpt, int[][] inputIds, int[] lengths, int[] labels, float[] classWeights) {
        try (PointerScope scope = new PointerScope()) {
            Config c = new Config(ckpt.config());
            Leaves w = new Leaves(WHO, ckpt, labels != null);
            Tensor[] embedded = new Tensor[1];
            Tensor ids = Torch.ids(inputIds, "input_ids");
            Tensor pooled = Ops.lastToken(hidden(c, w, ids, embedded), lengths);
            int k = ckpt.shape("score.weight")[0];
            Tensor logits = Ops.linear(pooled, w.get("score.weight", k, c.hidden), null);
            if (labels == null) return Finish.upstream(logits, null, w, null);
            return Finish.classification(WHO, logits, labels, classWeights, w, embedded[0]);
        }
    }

    private static Tensor model(Config c, Checkpoint ckpt, Leaves w, Tensor ids, Tensor[] embedded) {
        Tensor x = hidden(c, w, ids, embedded);
        boolean tied = c.tied || !ckpt.has("lm_head.weight");
        Tensor head = tied ? w.get("model.embed_tokens.weight", c.vocab, c.hidden) : w.get("lm_head.weight", c.vocab, c.hidden);
        return Ops.linear(x, head, null);
    }

    /** Final hidden states [B, T, hidden] after model.norm. */
    private static Tensor hidden(Config c, Leaves w, Tensor ids, Tensor[] embedded) {
        Tensor x = Ops.embed(w.get("model.embed_tokens.weight", c.vocab, c.hidden), ids);
        if (x.requires_grad()) x.retain_grad();
        embedded[0] = x;
        int t = Math.toIntExact(ids.size(1));
        for (int i = 0; i < c.layers; i++) x = layer(c, w, i, x, t);
        return Ops.rmsNorm(x, w.get("model.norm.weight", c.hidden), c.eps);
    }

    private static Tensor layer(Config c, Leaves w, int i, Tensor x, int t) {
        String p = "model.layers." + i + ".";
        int qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;

        Tensor h = Ops.rmsNorm(x, w.get(p + "input_layernorm.weight", c.hidden), c.eps);
        Tensor q = proj(c, w, p + "self_attn.q_proj", h, c.hidden, qDim, c.qkvBias);
        Tensor k = proj(c, w, p + "self_attn.k_proj", h, c.hidden, kvDim, c.qkvBias);
        Tensor v = proj(c, w, p + "self_attn.v_proj", h, c.hidden, kvDim, c.qkvBias);
        q = Ops.splitHeads(q, c.heads, c.headDim);
        k = Ops.splitHeads(k, c.kvHeads, c.headDim);
        v = Ops.splitHeads(v, c.kvHeads, c.headDim);
        Tensor[] cs = Ops.ropeTables(c.invFreq, t);
        q = Ops.applyRope(q, cs[0], cs[1]);
        k = Ops.applyRope(k, cs[0], cs[1]);
        Tensor a = Ops.attention(q, k, v, Ops.causalMask(t, c.slidingWindow), 1 / Math.sqrt(c.headDim));
        Tensor o = proj(c, w, p + "self_attn.o_proj", Ops.mergeHeads(a), qDim, c.hidden, c.oBias);
        x = x.add(o);

        h = Ops.rmsNorm(x, w.get(p + "post_attention_layernorm.weight", c.hidden), c.eps);
        Tensor gate = proj(c, w, p + "mlp.gate_proj", h, c.hidden, c.inter, c.mlpBias);
        Tensor up = proj(c, w, p + "mlp.up_proj", h, c.hidden, c.inter, c.mlpBias);
        Tensor down = proj(c, w, p + "mlp.down_proj", Ops.activation(WHO, c.act, gate).mul(up), c.inter, c.hidden, c.mlpBias);
        return x.add(down);
    }

    /** A projection {@code module} (weight [out, in], optional bias), plus its LoRA update when the checkpoint adapts it. */
    private static Tensor proj(Config c, Leaves w, String module, Tensor x, int in, int out, boolean bias) {
        Tensor y = Ops.linear(x, w.get(module + ".weight", out, in), w.get(bias, module + ".bias", out));
        return c.lora.add(y, x, w, module, in, out);
    }

    /** The config.json fields the Llama family uses, with Hugging Face's defaults. */
    private static final class Config {
        final int hidden, heads, kvHeads, headDim, inter, layers, vocab, slidingWindow;
        final double eps;
        final boolean tied, qkvBias, oBias, mlpBias;
        final String act;
        final double[] invFreq;
        final LoraTerm lora;

        Config(Map<String, Object> map) {
            Cfg c = new Cfg(WHO, map);
            String type = c.s("model_type", "llama");
            if (!type.equals("llama") && !type.equals("mistral") && !type.equals("qwen2")) throw c.unsupported("model_type " + type);
            hidden = c.i("hidden_size");
            heads = c.i("num_attention_heads");
            kvHeads = c.i("num_key_value_heads", heads);
            headDim = c.i("head_dim", hidden / heads);
            inter = c.i("intermediate_size");
            layers = c.i("num_hidden_layers");
            vocab = c.i("vocab_size");
            eps = c.d("rms_norm_eps", 1e-6);
            tied = c.b("tie_word_embeddings", false);
            act = c.s("hidden_act", "silu");
            boolean attentionBias = c.b("attention_bias", false);
            qkvBias = type.equals("qwen2") || attentionBias;
            oBias = attentionBias;
            mlpBias = c.b("mlp_bias", false);
            if (type.equals("qwen2") && c.b("use_sliding_window", false)) throw c.unsupported("Qwen2 use_sliding_window=true");
            slidingWindow = type.equals("mistral") ? c.i("sliding_window", 0) : 0;
            if (heads % kvHeads != 0) throw new IllegalArgumentException(WHO + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
            if (headDim % 2 != 0) throw new IllegalArgumentException(WHO + ": head_dim " + headDim + " must be even for RoPE");
            invFreq = Rope.inverseFrequencies(map);
            lora = new LoraTerm(WHO, map);
        }
    }
}
