package dev.tune4j.oracle;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.util.Arrays;
import java.util.Map;

/**
 * Reference GPT-2 ({@code GPT2LMHeadModel}) in float64 libtorch, independent of the engine.
 *
 * <p>h = wte[ids] + wpe[0..T-1]; per block h += c_proj(attn(c_attn(ln_1(h)))) and
 * h += mlp.c_proj(act(mlp.c_fc(ln_2(h)))), where c_attn, c_proj, c_fc are Conv1D (weight stored
 * [in, out]) and c_attn's output splits into q | k | v; causal attention scaled by 1/sqrt(head_dim)
 * (and by 1/(layer+1) when scale_attn_by_inverse_layer_idx); act is activation_function (default
 * gelu_new, the tanh approximation); then ln_f and logits = h · wteᵀ (lm_head tied to wte unless
 * tie_word_embeddings is false and lm_head.weight exists). No dropout. Conv1D layers the checkpoint
 * holds LoRA weights for add their update ({@link LoraTerm}; c_attn is adapted as the one fused layer it is).
 *
 * <p>Weight names may carry the {@code transformer.} prefix (as GPT2LMHeadModel saves them) or not
 * (as the original openai-community/gpt2 checkpoint stores them); the prefix is detected from
 * {@code wte.weight}. Gradients are reported under the names the checkpoint uses.
 */
public final class Gpt2Oracle {
    private Gpt2Oracle() {}

    private static final String WHO = "Gpt2Oracle";

    /**
     * One transformer block {@code h.{layer}}.
     *
     * @param hidden   input hidden states [B, T, n_embd], row-major
     * @param shape    {B, T, n_embd}
     * @param upstream W for loss = sum(out * W); null for forward only
     * @return output [B, T, n_embd]; with upstream, grads of the block's weights and of {@code hidden}
     */
    public static OracleResult layer(Checkpoint ckpt, int layer, float[] hidden, int[] shape, float[] upstream) {
        Config c = new Config(ckpt);
        if (shape.length != 3 || shape[2] != c.hidden) {
            throw new IllegalArgumentException(WHO + ": hidden shape must be [B, T, " + c.hidden + "], got " + Arrays.toString(shape));
        }
        try (PointerScope scope = new PointerScope()) {
            boolean grad = upstream != null;
            Leaves w = new Leaves(WHO, ckpt, grad);
            Tensor x = Torch.of(hidden, shape);
            if (grad) x = x.set_requires_grad(true);
            return Finish.upstream(block(c, w, layer, x), upstream, w, x);
        }
    }

    /**
     * Whole model to logits.
     *
     * @param inputIds token ids [B][T], T <= n_positions
     * @param upstream W [B*T*V] for loss = sum(logits * W); null for forward only
     * @return logits [B, T, vocab_size]; with upstream, grads of every used weight and of wte[ids] + wpe
     */
    public static OracleResult logits(Checkpoint ckpt, int[][] inputIds, float[] upstream) {
        try (PointerScope scope = new PointerScope()) {
            Config c = new Config(ckpt);
            Leaves w = new Leaves(WHO, ckpt, upstream != null);
            Tensor[] embedded = new Tensor[1];
            Tensor logits = model(c, ckpt, w, Torch.ids(inputIds, "input_ids"), embedded);
            return Finish.upstream(logits, upstream, w, embedded[0]);
        }
    }

    /**
     * Whole model, mean cross-entropy of logits[b, t] against targets[b][t] (already aligned;
     * -100 ignored), differentiated.
     */
    public static OracleResult loss(Checkpoint ckpt, int[][] inputIds, int[][] targets) {
        try (PointerScope scope = new PointerScope()) {
            Config c = new Config(ckpt);
            Leaves w = new Leaves(WHO, ckpt, true);
            Tensor[] embedded = new Tensor[1];
            Tensor logits = model(c, ckpt, w, Torch.ids(inputIds, "input_ids"), embedded);
            return Finish.crossEntropy(WHO, logits, Torch.ids(targets, "targets"), w, embedded[0]);
        }
    }

    /**
     * {@code GPT2ForSequenceClassification}: the final hidden state (after ln_f) of each row's last
     * real token times score.weight [K, n_embd] (no bias); with labels, the mean cross-entropy
     * (class-weighted as torch's weight=, -100 ignored), differentiated. Rows are right-padded
     * (lengths[b] real tokens), which causal attention never reads from earlier positions.
     *
     * @return logits [B, K]; with labels, the loss, grads of every used weight and of wte[ids] + wpe
     */
    public static OracleResult classify(Checkpoint ckpt, int[][] inputIds, int[] lengths, int[] labels, float[] classWeights) {
        try (PointerScope scope = new PointerScope()) {
            Config c = new Config(ckpt);
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
        boolean untied = !c.tied && ckpt.has("lm_head.weight");
        return Ops.linear(x, untied ? w.get("lm_head.weight", c.vocab, c.hidden) : w.get(c.p + "wte.weight", c.vocab, c.hidden), null);
    }

    /** Final hidden states [B, T, n_embd] after ln_f. */
    private static Tensor hidden(Config c, Leaves w, Tensor ids, Tensor[] embedded) {
        int t = Math.toIntExact(ids.size(1));
        if (t > c.positions) throw new IllegalArgumentException(WHO + ": sequence length " + t + " exceeds n_positions " + c.positions);
        Tensor wte = w.get(c.p + "wte.weight", c.vocab, c.hidden);
        Tensor wpe = w.get(c.p + "wpe.weight", c.positions, c.hidden);
        Tensor x = Ops.embed(wte, ids).add(wpe.narrow(0, 0, t));
        if (x.requires_grad()) x.retain_grad();
        embedded[0] = x;
        for (int i = 0; i < c.layers; i++) x = block(c, w, i, x);
        return Ops.layerNorm(x, w.get(c.p + "ln_f.weight", c.hidden), w.get(c.p + "ln_f.bias", c.hidden), c.eps);
    }

    private static Tensor block(Config c, Leaves w, int i, Tensor x) {
        String p = c.p + "h." + i + ".";
        int e = c.hidden, hd = e / c.heads;
        long t = x.size(1);

        Tensor h = Ops.layerNorm(x, w.get(p + "ln_1.weight", e), w.get(p + "ln_1.bias", e), c.eps);
        Tensor qkv = conv1d(c, w, p + "attn.c_attn", h, e, 3 * e);
        Tensor q = Ops.splitHeads(qkv.narrow(2, 0, e), c.heads, hd);
        Tensor k = Ops.splitHeads(qkv.narrow(2, e, e), c.heads, hd);
        Tensor v = Ops.splitHeads(qkv.narrow(2, 2L * e, e), c.heads, hd);
        double scale = (c.scaleAttn ? 1 / Math.sqrt(hd) : 1) / (c.scaleByLayer ? i + 1 : 1);
        Tensor a = Ops.attention(q, k, v, Ops.causalMask(Math.toIntExact(t), 0), scale);
        x = x.add(conv1d(c, w, p + "attn.c_proj", Ops.mergeHeads(a), e, e));

        h = Ops.layerNorm(x, w.get(p + "ln_2.weight", e), w.get(p + "ln_2.bias", e), c.eps);
        Tensor m = conv1d(c, w, p + "mlp.c_fc", h, e, c.inner);
        m = Ops.activation(WHO, c.act, m);
        return x.add(conv1d(c, w, p + "mlp.c_proj", m, c.inner, e));
    }

    /** A Conv1D {@code module} (weight [in, out], bias [out]), plus its LoRA update when the checkpoint adapts it (the fused c_attn as one layer). */
    private static Tensor conv1d(Config c, Leaves w, String module, Tensor x, int in, int out) {
        Tensor y = Ops.conv1d(x, w.get(module + ".weight", in, out), w.get(module + ".bias", out));
        return c.lora.add(y, x, w, module, in, out);
    }

    private static final class Config {
        final String p;
        final int hidden, heads, layers, positions, vocab, inner;
        final double eps;
        final boolean tied, scaleAttn, scaleByLayer;
        final String act;
        final LoraTerm lora;

        Config(Checkpoint ckpt) {
            Map<String, Object> map = ckpt.config();
            Cfg c = new Cfg(WHO, map);
            String type = c.s("model_type", "gpt2");
            if (!type.equals("gpt2")) throw c.unsupported("model_type " + type);
            p = ckpt.has("transformer.wte.weight") ? "transformer." : "";
            hidden = c.i("n_embd");
            heads = c.i("n_head");
            layers = c.i("n_layer");
            positions = c.i("n_positions");
            vocab = c.i("vocab_size");
            inner = c.i("n_inner", 4 * hidden);
            eps = c.d("layer_norm_epsilon", 1e-5);
            tied = c.b("tie_word_embeddings", true);
            scaleAttn = c.b("scale_attn_weights", true);
            scaleByLayer = c.b("scale_attn_by_inverse_layer_idx", false);
            act = c.s("activation_function", "gelu_new");
            lora = new LoraTerm(WHO, map);
            if (hidden % heads != 0) throw new IllegalArgumentException(WHO + ": n_embd " + hidden + " is not a multiple of n_head " + heads);
        }
    }
}
