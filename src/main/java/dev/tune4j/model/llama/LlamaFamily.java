package dev.tune4j.model.llama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.autograd.ops.RopeOp;
import dev.tune4j.model.ClassLabels;
import dev.tune4j.model.DecoderClassifier;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.ModelFamily;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.model.WeightRule;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Norm;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Llama and the checkpoints that share its layout: Llama 2/3/3.x (rope scaling "llama3"),
 * SmolLM/SmolLM2, TinyLlama, Mistral, Qwen2/Qwen2.5 (q/k/v biases). RMSNorm, RoPE in the
 * half-split layout, SwiGLU, grouped-query attention, tied or untied head.
 *
 * <p>Their *ForSequenceClassification checkpoints ({@code model.*} + {@code score.weight}) build a
 * {@link DecoderClassifier}; every other architecture builds the causal LM.
 */
public final class LlamaFamily implements ModelFamily {
    /** model_type -> the sequence classification class transformers has for it. */
    private static final Map<String, String> CLASSIFIERS = Map.of(
            "llama", "LlamaForSequenceClassification", "mistral", "MistralForSequenceClassification", "qwen2", "Qwen2ForSequenceClassification");

    public String name() { return "llama"; }

    public Set<String> architectures() {
        return Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM",
                "LlamaForSequenceClassification", "MistralForSequenceClassification", "Qwen2ForSequenceClassification");
    }

    public Set<String> modelTypes() {
        return Set.of("llama", "mistral", "qwen2");
    }

    public TransformerConfig config(HfConfig hf) {
        String act = hf.getString("hidden_act", "silu");
        if (!act.equals("silu")) throw new IllegalArgumentException(hf.source() + ": hidden_act '" + act + "' is not supported for Llama-family models (silu only)");
        TransformerConfig c = new TransformerConfig();
        c.vocabSize = hf.requireSize("vocab_size");
        c.hidden = hf.requireSize("hidden_size");
        c.intermediate = hf.requireSize("intermediate_size");
        c.layers = hf.requireSize("num_hidden_layers");
        c.heads = hf.requireSize("num_attention_heads");
        c.kvHeads = hf.getSize("num_key_value_heads", c.heads);
        c.headDim = hf.getSize("head_dim", c.hidden / c.heads);
        c.maxPositions = hf.getSize("max_position_embeddings", 2048);
        c.norm = Norm.Kind.RMS_NORM;
        c.normEps = (float) hf.getDouble("rms_norm_eps", 1e-6);
        c.preNorm = true;
        c.finalNorm = true;
        c.mlp = TransformerConfig.Mlp.SWIGLU;
        c.mlpBias = hf.getBool("mlp_bias", false);
        boolean qwen2 = "qwen2".equals(hf.modelType());
        c.qkvBias = qwen2 || hf.getBool("attention_bias", false);
        c.attnOutBias = !qwen2 && hf.getBool("attention_bias", false);
        c.causal = true;
        c.positions = TransformerConfig.Positions.ROPE;
        c.ropeTheta = hf.getDouble("rope_theta", 10000);
        c.ropeLayout = RopeOp.Layout.HALF_SPLIT;
        c.ropeScaling = hf.getMap("rope_scaling");
        // Mistral always, Qwen2 only when use_sliding_window is set (a null window means none).
        boolean windowed = "mistral".equals(hf.modelType()) || (qwen2 && hf.getBool("use_sliding_window", false));
        c.slidingWindow = windowed ? hf.getCount("sliding_window", 0) : 0;
        c.lmHead = !isSequenceClassifier(hf);
        c.tieEmbeddings = hf.getBool("tie_word_embeddings", false);
        c.dropout = (float) hf.getDouble("attention_dropout", 0.0);
        return c.validate();
    }

    @Override
    public boolean isSequenceClassifier(HfConfig hf) {
        return hf != null && CLASSIFIERS.containsValue(hf.architecture());
    }

    /** A {@link DecoderClassifier} for *ForSequenceClassification, else the causal LM. */
    @Override
    public Module build(TransformerConfig c, HfConfig hf) {
        return isSequenceClassifier(hf) ? DecoderClassifier.fromConfig(c, hf) : new Transformer(c);
    }

    @Override
    public Map<String, int[]> parameterShapes(TransformerConfig c, HfConfig hf) {
        return isSequenceClassifier(hf) ? DecoderClassifier.parameterShapes(c, hf) : Transformer.parameterShapes(c);
    }

    @Override
    public ObjectNode classifierConfig(HfConfig base, ClassLabels labels, SequenceClassifier.Pooling pooling, Tokenizer tokenizer) {
        String type = base.modelType() != null ? base.modelType() : "llama";
        String architecture = CLASSIFIERS.get(type);
        if (architecture == null) throw new IllegalArgumentException(base.source() + ": no sequence classifier for model_type '" + type + "'");
        return DecoderClassifier.config(base, architecture, labels, pooling, tokenizer);
    }

    public List<WeightRule> weights(TransformerConfig c, HfConfig hf) {
        return isSequenceClassifier(hf) ? DecoderClassifier.rules(decoderWeights(c)) : decoderWeights(c);
    }

    /** The decoder's tensors (and the LM head when c has one) under their LlamaForCausalLM names. */
    private static List<WeightRule> decoderWeights(TransformerConfig c) {
        List<WeightRule> r = new ArrayList<>();
        r.add(WeightRule.same("model.embed_tokens.weight", "embed.weight"));
        for (int i = 0; i < c.layers; i++) {
            String p = "model.layers." + i + ".", o = "layers." + i + ".";
            r.add(WeightRule.same(p + "input_layernorm.weight", o + "norm1.weight"));
            for (String x : new String[] {"q", "k", "v", "o"}) {
                r.add(WeightRule.same(p + "self_attn." + x + "_proj.weight", o + "attn." + x + ".weight"));
                boolean bias = x.equals("o") ? c.attnOutBias : c.qkvBias;
                if (bias) r.add(WeightRule.same(p + "self_attn." + x + "_proj.bias", o + "attn." + x + ".bias"));
            }
            r.add(WeightRule.same(p + "post_attention_layernorm.weight", o + "norm2.weight"));
            for (String x : new String[] {"gate", "up", "down"}) {
                r.add(WeightRule.same(p + "mlp." + x + "_proj.weight", o + "mlp." + x + ".weight"));
                if (c.mlpBias) r.add(WeightRule.same(p + "mlp." + x + "_proj.bias", o + "mlp." + x + ".bias"));
            }
        }
        r.add(WeightRule.same("model.norm.weight", "final_norm.weight"));
        if (c.lmHead && !c.tieEmbeddings) r.add(WeightRule.same("lm_head.weight", "lm_head.weight"));
        return r;
    }

    /** Every projection of attention and MLP. */
    @Override
    public List<String> defaultLoraTargets() {
        return List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    }

    /** RoPE's cached frequencies; the LM head of a causal LM a classifier is started from. */
    public boolean ignorable(String hfName) {
        return hfName.endsWith("rotary_emb.inv_freq") || hfName.equals("lm_head.weight");
    }

    public ObjectNode toConfigJson(TransformerConfig c, HfConfig loaded) {
        ObjectNode n = loaded != null ? loaded.copy() : Json.MAPPER.createObjectNode();
        if (loaded == null) {
            n.putArray("architectures").add("LlamaForCausalLM");
            n.put("model_type", "llama");
            n.put("hidden_act", "silu");
        }
        n.put("vocab_size", c.vocabSize);
        n.put("hidden_size", c.hidden);
        n.put("intermediate_size", c.intermediate);
        n.put("num_hidden_layers", c.layers);
        n.put("num_attention_heads", c.heads);
        n.put("num_key_value_heads", c.kvHeads);
        n.put("head_dim", c.headDim());
        n.put("max_position_embeddings", c.maxPositions);
        n.put("rms_norm_eps", c.normEps);
        n.put("rope_theta", c.ropeTheta);
        if (c.ropeScaling != null) n.set("rope_scaling", Json.MAPPER.valueToTree(c.ropeScaling));
        n.put("tie_word_embeddings", c.tieEmbeddings);
        if (!"qwen2".equals(n.path("model_type").asText())) n.put("attention_bias", c.qkvBias);
        n.put("torch_dtype", "float32");
        return n;
    }
}
