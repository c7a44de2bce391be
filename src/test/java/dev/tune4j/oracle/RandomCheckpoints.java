package dev.tune4j.oracle;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small random checkpoints with the real Hugging Face tensor names, shapes and config.json keys,
 * for comparing the engine with the oracles.
 *
 * <p>Families: "llama" (GQA 4/2 heads, tied head), "llama3" (1 kv head, llama3 rope_scaling, untied),
 * "qwen2" (q/k/v biases, tied), "mistral" (explicit head_dim, sliding_window, untied),
 * "gpt2" (head_dim 12, Conv1D layout, tied) and "bert" (BertModel, with pooler weights the
 * oracle does not use). Sizes are tiny (hidden 32-64, 1-2 layers, vocab about 100) and deliberately
 * not all multiples of 8 (intermediate sizes, vocabularies, GPT-2's head size) so that vector-loop
 * tails are exercised.
 *
 * <p>Values are scaled so that every path matters numerically: linear weights N(0, 1/in) (attention
 * is far from uniform), norm weights 1 + N(0, 0.1²), biases N(0, 0.1²), embeddings N(0, 0.5²).
 * The same family, overrides and seed always give the same checkpoint.
 */
public final class RandomCheckpoints {
    private RandomCheckpoints() {}

    public static final List<String> FAMILIES = List.of("llama", "llama3", "qwen2", "mistral", "gpt2", "bert");

    public static Checkpoint llama(long seed) { return build("llama", Map.of(), seed); }

    public static Checkpoint llama3(long seed) { return build("llama3", Map.of(), seed); }

    public static Checkpoint qwen2(long seed) { return build("qwen2", Map.of(), seed); }

    public static Checkpoint mistral(long seed) { return build("mistral", Map.of(), seed); }

    public static Checkpoint gpt2(long seed) { return build("gpt2", Map.of(), seed); }

    public static Checkpoint bert(long seed) { return build("bert", Map.of(), seed); }

    /**
     * A random checkpoint of {@code family} whose config is the family default with
     * {@code overrides} applied (config.json keys, e.g. {@code num_hidden_layers}, {@code head_dim},
     * {@code tie_word_embeddings}, {@code rope_scaling}); weight shapes follow the final config.
     */
    public static Checkpoint build(String family, Map<String, Object> overrides, long seed) {
        Map<String, Object> config = defaults(family);
        config.putAll(overrides);
        Builder b = new Builder(seed);
        switch (family) {
            case "llama", "llama3", "qwen2", "mistral" -> llamaWeights(b, new Cfg("RandomCheckpoints", config));
            case "gpt2" -> gpt2Weights(b, new Cfg("RandomCheckpoints", config));
            case "bert" -> bertWeights(b, new Cfg("RandomCheckpoints", config));
            default -> throw new IllegalArgumentException("RandomCheckpoints: unknown family " + family + " (have " + FAMILIES + ")");
        }
        return new Checkpoint(config, b.weights, b.shapes);
    }

    /**
     * The family's random checkpoint saved as its {@code *ForSequenceClassification} (Llama, Qwen2,
     * Mistral or GPT-2): the same backbone tensors, no lm_head, {@code score.weight} [numLabels, hidden]
     * ~ N(0, 1/hidden), and config.json with that architecture, id2label / label2id (class0, class1, ...)
     * and pad_token_id 0.
     */
    public static Checkpoint classifier(String family, int numLabels, Map<String, Object> overrides, long seed) {
        String architecture = switch (family) {
            case "llama", "llama3" -> "LlamaForSequenceClassification";
            case "qwen2" -> "Qwen2ForSequenceClassification";
            case "mistral" -> "MistralForSequenceClassification";
            case "gpt2" -> "GPT2ForSequenceClassification";
            default -> throw new IllegalArgumentException("RandomCheckpoints: no sequence classifier for family " + family);
        };
        Checkpoint base = build(family, overrides, seed);
        Map<String, Object> config = new LinkedHashMap<>(base.config());
        config.put("architectures", List.of(architecture));
        Map<String, Object> id2label = new LinkedHashMap<>(), label2id = new LinkedHashMap<>();
        for (int k = 0; k < numLabels; k++) {
            id2label.put(Integer.toString(k), "class" + k);
            label2id.put("class" + k, k);
        }
        config.put("id2label", id2label);
        config.put("label2id", label2id);
        config.put("pad_token_id", 0);
        Builder b = new Builder(seed ^ 0x5C0BEL);
        b.weights.putAll(base.weights());
        b.shapes.putAll(base.shapes());
        b.weights.remove("lm_head.weight");
        b.shapes.remove("lm_head.weight");
        Cfg c = new Cfg("RandomCheckpoints", config);
        b.linear("score", numLabels, family.equals("gpt2") ? c.i("n_embd") : c.i("hidden_size"), false);
        return new Checkpoint(config, b.weights, b.shapes);
    }

    /**
     * {@code base} with LoRA weights for the named modules (Hugging Face module paths, e.g.
     * "model.layers.0.self_attn.q_proj"): A [r, in] and B [out, r], both N(0, 0.3²) (a trained
     * adapter, B not zero), and PEFT's settings merged into the config as {@link LoraTerm} reads
     * them. In and out come from the module's weight: [out, in], or [in, out] for GPT-2's Conv1D.
     */
    public static Checkpoint withLora(Checkpoint base, List<String> modules, int r, double alpha, boolean rslora, long seed) {
        Map<String, Object> config = new LinkedHashMap<>(base.config());
        config.put("lora_r", r);
        config.put("lora_alpha", alpha);
        config.put("use_rslora", rslora);
        Map<String, float[]> weights = new LinkedHashMap<>(base.weights());
        Map<String, int[]> shapes = new LinkedHashMap<>(base.shapes());
        boolean conv1d = "gpt2".equals(base.config().get("model_type"));
        Random rng = new Random(seed);
        for (String m : modules) {
            int[] w = base.shape(m + ".weight");
            int in = conv1d ? w[0] : w[1], out = conv1d ? w[1] : w[0];
            weights.put(m + ".lora_A.weight", Close.gaussianFloats(rng, r * in, 0.3));
            shapes.put(m + ".lora_A.weight", new int[] {r, in});
            weights.put(m + ".lora_B.weight", Close.gaussianFloats(rng, out * r, 0.3));
            shapes.put(m + ".lora_B.weight", new int[] {out, r});
        }
        return new Checkpoint(config, weights, shapes);
    }

    /** The default config.json of a family, as a mutable map. */
    public static Map<String, Object> defaults(String family) {
        Map<String, Object> c = new LinkedHashMap<>();
        switch (family) {
            case "llama" -> {
                c.put("architectures", List.of("LlamaForCausalLM"));
                c.put("model_type", "llama");
                c.put("hidden_size", 64);
                c.put("intermediate_size", 90);
                c.put("num_attention_heads", 4);
                c.put("num_key_value_heads", 2);
                c.put("num_hidden_layers", 2);
                c.put("vocab_size", 101);
                c.put("max_position_embeddings", 128);
                c.put("rms_norm_eps", 1e-5);
                c.put("rope_theta", 10000.0);
                c.put("rope_scaling", null);
                c.put("hidden_act", "silu");
                c.put("attention_bias", false);
                c.put("mlp_bias", false);
                c.put("tie_word_embeddings", true);
                c.put("bos_token_id", 1);
                c.put("eos_token_id", 2);
                c.put("torch_dtype", "float32");
            }
            case "llama3" -> {
                c.putAll(defaults("llama"));
                c.put("num_key_value_heads", 1);
                c.put("vocab_size", 103);
                c.put("intermediate_size", 100);
                c.put("tie_word_embeddings", false);
                // Llama 3.1's scaling, with the original context shrunk from 8192 to 64 so that with
                // head_dim 16 and theta 1e4 each regime (kept, blended, divided) holds a frequency
                // that turns visibly over a handful of positions.
                Map<String, Object> scaling = new LinkedHashMap<>();
                scaling.put("rope_type", "llama3");
                scaling.put("factor", 8.0);
                scaling.put("low_freq_factor", 1.0);
                scaling.put("high_freq_factor", 4.0);
                scaling.put("original_max_position_embeddings", 64);
                c.put("rope_scaling", scaling);
                c.put("max_position_embeddings", 512);
            }
            case "qwen2" -> {
                c.put("architectures", List.of("Qwen2ForCausalLM"));
                c.put("model_type", "qwen2");
                c.put("hidden_size", 64);
                c.put("intermediate_size", 88);
                c.put("num_attention_heads", 4);
                c.put("num_key_value_heads", 2);
                c.put("num_hidden_layers", 2);
                c.put("vocab_size", 97);
                c.put("max_position_embeddings", 128);
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_theta", 1000000.0);
                c.put("hidden_act", "silu");
                c.put("use_sliding_window", false);
                c.put("sliding_window", 4096);
                c.put("max_window_layers", 2);
                c.put("tie_word_embeddings", true);
                c.put("torch_dtype", "float32");
            }
            case "mistral" -> {
                c.put("architectures", List.of("MistralForCausalLM"));
                c.put("model_type", "mistral");
                c.put("hidden_size", 64);
                c.put("intermediate_size", 112);
                c.put("num_attention_heads", 4);
                c.put("num_key_value_heads", 2);
                c.put("head_dim", 16);
                c.put("num_hidden_layers", 2);
                c.put("vocab_size", 99);
                c.put("max_position_embeddings", 256);
                c.put("rms_norm_eps", 1e-5);
                c.put("rope_theta", 10000.0);
                c.put("hidden_act", "silu");
                c.put("sliding_window", 4096);
                c.put("tie_word_embeddings", false);
                c.put("torch_dtype", "float32");
            }
            case "gpt2" -> {
                c.put("architectures", List.of("GPT2LMHeadModel"));
                c.put("model_type", "gpt2");
                c.put("n_embd", 48);
                c.put("n_head", 4);
                c.put("n_layer", 2);
                c.put("n_positions", 64);
                c.put("n_ctx", 64);
                c.put("n_inner", null);
                c.put("vocab_size", 101);
                c.put("layer_norm_epsilon", 1e-5);
                c.put("activation_function", "gelu_new");
                c.put("scale_attn_weights", true);
                c.put("resid_pdrop", 0.1);
                c.put("embd_pdrop", 0.1);
                c.put("attn_pdrop", 0.1);
                c.put("tie_word_embeddings", true);
                c.put("bos_token_id", 100);
                c.put("eos_token_id", 100);
                c.put("torch_dtype", "float32");
            }
            case "bert" -> {
                c.put("architectures", List.of("BertModel"));
                c.put("model_type", "bert");
                c.put("hidden_size", 32);
                c.put("num_attention_heads", 4);
                c.put("num_hidden_layers", 2);
                c.put("intermediate_size", 37);
                c.put("hidden_act", "gelu");
                c.put("vocab_size", 103);
                c.put("max_position_embeddings", 64);
                c.put("type_vocab_size", 2);
                c.put("layer_norm_eps", 1e-12);
                c.put("hidden_dropout_prob", 0.1);
                c.put("attention_probs_dropout_prob", 0.1);
                c.put("position_embedding_type", "absolute");
                c.put("pad_token_id", 0);
                c.put("torch_dtype", "float32");
            }
            default -> throw new IllegalArgumentException("RandomCheckpoints: unknown family " + family + " (have " + FAMILIES + ")");
        }
        return c;
    }

    private static void llamaWeights(Builder b, Cfg c) {
        String type = c.s("model_type", "llama");
        int h = c.i("hidden_size"), heads = c.i("num_attention_heads"), kv = c.i("num_key_value_heads", heads);
        int hd = c.i("head_dim", h / heads), inter = c.i("intermediate_size"), vocab = c.i("vocab_size");
        boolean attnBias = c.b("attention_bias", false), qkvBias = type.equals("qwen2") || attnBias, mlpBias = c.b("mlp_bias", false);
        b.embedding("model.embed_tokens.weight", vocab, h);
        for (int i = 0; i < c.i("num_hidden_layers"); i++) {
            String p = "model.layers." + i + ".";
            b.linear(p + "self_attn.q_proj", heads * hd, h, qkvBias);
            b.linear(p + "self_attn.k_proj", kv * hd, h, qkvBias);
            b.linear(p + "self_attn.v_proj", kv * hd, h, qkvBias);
            b.linear(p + "self_attn.o_proj", h, heads * hd, attnBias);
            b.linear(p + "mlp.gate_proj", inter, h, mlpBias);
            b.linear(p + "mlp.up_proj", inter, h, mlpBias);
            b.linear(p + "mlp.down_proj", h, inter, mlpBias);
            b.norm(p + "input_layernorm.weight", h);
            b.norm(p + "post_attention_layernorm.weight", h);
        }
        b.norm("model.norm.weight", h);
        if (!c.b("tie_word_embeddings", false)) b.linear("lm_head", vocab, h, false);
    }

    private static void gpt2Weights(Builder b, Cfg c) {
        int e = c.i("n_embd"), inner = c.i("n_inner", 4 * e), vocab = c.i("vocab_size");
        b.embedding("transformer.wte.weight", vocab, e);
        b.embedding("transformer.wpe.weight", c.i("n_positions"), e);
        for (int i = 0; i < c.i("n_layer"); i++) {
            String p = "transformer.h." + i + ".";
            b.layerNorm(p + "ln_1", e);
            b.conv1d(p + "attn.c_attn", e, 3 * e);
            b.conv1d(p + "attn.c_proj", e, e);
            b.layerNorm(p + "ln_2", e);
            b.conv1d(p + "mlp.c_fc", e, inner);
            b.conv1d(p + "mlp.c_proj", inner, e);
        }
        b.layerNorm("transformer.ln_f", e);
        if (!c.b("tie_word_embeddings", true)) b.linear("lm_head", vocab, e, false);
    }

    private static void bertWeights(Builder b, Cfg c) {
        int e = c.i("hidden_size"), inter = c.i("intermediate_size");
        b.embedding("embeddings.word_embeddings.weight", c.i("vocab_size"), e);
        b.embedding("embeddings.position_embeddings.weight", c.i("max_position_embeddings"), e);
        b.embedding("embeddings.token_type_embeddings.weight", c.i("type_vocab_size", 2), e);
        b.layerNorm("embeddings.LayerNorm", e);
        for (int i = 0; i < c.i("num_hidden_layers"); i++) {
            String p = "encoder.layer." + i + ".";
            b.linear(p + "attention.self.query", e, e, true);
            b.linear(p + "attention.self.key", e, e, true);
            b.linear(p + "attention.self.value", e, e, true);
            b.linear(p + "attention.output.dense", e, e, true);
            b.layerNorm(p + "attention.output.LayerNorm", e);
            b.linear(p + "intermediate.dense", inter, e, true);
            b.linear(p + "output.dense", e, inter, true);
            b.layerNorm(p + "output.LayerNorm", e);
        }
        b.linear("pooler.dense", e, e, true);
    }

    private static final class Builder {
        final Random rng;
        final Map<String, float[]> weights = new LinkedHashMap<>();
        final Map<String, int[]> shapes = new LinkedHashMap<>();

        Builder(long seed) { rng = new Random(seed); }

        void put(String name, double mean, double std, int... shape) {
            float[] v = new float[Math.toIntExact(Torch.numel(shape))];
            for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rng.nextGaussian());
            weights.put(name, v);
            shapes.put(name, shape);
        }

        void embedding(String name, int rows, int dim) { put(name, 0, 0.5, rows, dim); }

        void norm(String name, int dim) { put(name, 1, 0.1, dim); }

        void layerNorm(String prefix, int dim) {
            norm(prefix + ".weight", dim);
            put(prefix + ".bias", 0, 0.1, dim);
        }

        /** torch.nn.Linear layout: weight [out, in]. */
        void linear(String prefix, int out, int in, boolean bias) {
            put(prefix + ".weight", 0, 1 / Math.sqrt(in), out, in);
            if (bias) put(prefix + ".bias", 0, 0.1, out);
        }

        /** GPT-2 Conv1D layout: weight [in, out], always with a bias. */
        void conv1d(String prefix, int in, int out) {
            put(prefix + ".weight", 0, 1 / Math.sqrt(in), in, out);
            put(prefix + ".bias", 0, 0.1, out);
        }
    }
}
