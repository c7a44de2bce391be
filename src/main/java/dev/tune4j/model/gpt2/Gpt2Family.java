package dev.tune4j.model.gpt2;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.autograd.ops.GeluOp;
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
 * GPT-2: learned positions, pre-norm LayerNorm, GELU (tanh form), tied head. Its Linear layers are
 * Conv1D modules whose weights are stored [in, out], and q/k/v are fused into one c_attn tensor.
 * GPT2ForSequenceClassification ({@code transformer.*} + {@code score.weight}) builds a
 * {@link DecoderClassifier}.
 */
public final class Gpt2Family implements ModelFamily {
    public static final String CLASSIFIER = "GPT2ForSequenceClassification";

    public String name() { return "gpt2"; }

    public Set<String> architectures() { return Set.of("GPT2LMHeadModel", "GPT2Model", CLASSIFIER); }

    public Set<String> modelTypes() { return Set.of("gpt2"); }

    public TransformerConfig config(HfConfig hf) {
        String act = hf.getString("activation_function", "gelu_new");
        // The engine scales scores by 1/sqrt(head_dim) only; other scalings would be silently wrong.
        if (hf.getBool("scale_attn_by_inverse_layer_idx", false)) {
            throw new IllegalArgumentException(hf.source() + ": scale_attn_by_inverse_layer_idx=true is not supported for GPT-2");
        }
        if (!hf.getBool("scale_attn_weights", true)) {
            throw new IllegalArgumentException(hf.source() + ": scale_attn_weights=false is not supported for GPT-2");
        }
        TransformerConfig c = new TransformerConfig();
        c.vocabSize = hf.requireSize("vocab_size");
        c.hidden = hf.requireSize("n_embd");
        c.layers = hf.requireSize("n_layer");
        c.heads = hf.requireSize("n_head");
        c.kvHeads = c.heads;
        c.intermediate = hf.getSize("n_inner", 4 * c.hidden);
        c.maxPositions = hf.getSize("n_positions", 1024);
        c.norm = Norm.Kind.LAYER_NORM;
        c.normEps = (float) hf.getDouble("layer_norm_epsilon", 1e-5);
        c.mlp = TransformerConfig.Mlp.GELU;
        c.gelu = switch (act) {
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GeluOp.Kind.TANH;
            case "gelu" -> GeluOp.Kind.ERF;
            default -> throw new IllegalArgumentException(hf.source() + ": activation_function '" + act + "' is not supported for GPT-2");
        };
        c.positions = TransformerConfig.Positions.LEARNED;
        c.lmHead = !isSequenceClassifier(hf);
        c.tieEmbeddings = hf.getBool("tie_word_embeddings", true);
        c.dropout = (float) hf.getDouble("resid_pdrop", 0.0);
        return c.validate();
    }

    @Override
    public boolean isSequenceClassifier(HfConfig hf) {
        return hf != null && CLASSIFIER.equals(hf.architecture());
    }

    /** A {@link DecoderClassifier} for GPT2ForSequenceClassification, else the LM. */
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
        return DecoderClassifier.config(base, CLASSIFIER, labels, pooling, tokenizer);
    }

    public List<WeightRule> weights(TransformerConfig c, HfConfig hf) {
        return isSequenceClassifier(hf) ? DecoderClassifier.rules(decoderWeights(c)) : decoderWeights(c);
    }

    /** The decoder's tensors (and an untied LM head when c has one) under GPT2LMHeadModel's names. */
    private static List<WeightRule> decoderWeights(TransformerConfig c) {
        List<WeightRule> r = new ArrayList<>();
        r.add(WeightRule.same("transformer.wte.weight", "embed.weight"));
        r.add(WeightRule.same("transformer.wpe.weight", "pos_embed.weight"));
        for (int i = 0; i < c.layers; i++) {
            String p = "transformer.h." + i + ".", o = "layers." + i + ".";
            r.add(WeightRule.same(p + "ln_1.weight", o + "norm1.weight"));
            r.add(WeightRule.same(p + "ln_1.bias", o + "norm1.bias"));
            r.add(new WeightRule(p + "attn.c_attn.weight",
                    List.of(o + "attn.q.weight", o + "attn.k.weight", o + "attn.v.weight"), WeightRule.Layout.SPLIT_TRANSPOSED));
            r.add(new WeightRule(p + "attn.c_attn.bias",
                    List.of(o + "attn.q.bias", o + "attn.k.bias", o + "attn.v.bias"), WeightRule.Layout.SPLIT));
            r.add(WeightRule.transposed(p + "attn.c_proj.weight", o + "attn.o.weight"));
            r.add(WeightRule.same(p + "attn.c_proj.bias", o + "attn.o.bias"));
            r.add(WeightRule.same(p + "ln_2.weight", o + "norm2.weight"));
            r.add(WeightRule.same(p + "ln_2.bias", o + "norm2.bias"));
            r.add(WeightRule.transposed(p + "mlp.c_fc.weight", o + "mlp.up.weight"));
            r.add(WeightRule.same(p + "mlp.c_fc.bias", o + "mlp.up.bias"));
            r.add(WeightRule.transposed(p + "mlp.c_proj.weight", o + "mlp.down.weight"));
            r.add(WeightRule.same(p + "mlp.c_proj.bias", o + "mlp.down.bias"));
        }
        r.add(WeightRule.same("transformer.ln_f.weight", "final_norm.weight"));
        r.add(WeightRule.same("transformer.ln_f.bias", "final_norm.bias"));
        if (c.lmHead && !c.tieEmbeddings) r.add(WeightRule.same("lm_head.weight", "lm_head.weight"));
        return r;
    }

    /**
     * openai-community/gpt2 and its kin store GPT2Model's names ("h.0.attn.c_attn.weight",
     * "wte.weight"); GPT2LMHeadModel saves add the "transformer." prefix. Both load. The heads
     * (lm_head, a classifier's score) sit beside "transformer.".
     */
    @Override
    public String canonicalName(String hfName) {
        return hfName.startsWith("transformer.") || hfName.startsWith("lm_head.") || hfName.startsWith("score.") ? hfName : "transformer." + hfName;
    }

    /** GPT2LMHeadModel holds the blocks under "transformer."; GPT2Model is that module itself. */
    @Override
    public String stateDictName(String ruleName, HfConfig hf) {
        boolean bare = hf != null && "GPT2Model".equals(hf.architecture());
        return bare && ruleName.startsWith("transformer.") ? ruleName.substring("transformer.".length()) : ruleName;
    }

    /** Every Conv1D: attention's fused c_attn and c_proj, the MLP's c_fc and c_proj. */
    @Override
    public List<String> defaultLoraTargets() {
        return List.of("c_attn", "c_proj", "c_fc");
    }

    /** Some exports carry the causal-mask buffers and a copy of the tied head (an untied head is a rule, so used). */
    public boolean ignorable(String hfName) {
        return hfName.endsWith(".attn.bias") || hfName.endsWith(".attn.masked_bias") || hfName.equals("lm_head.weight");
    }

    public ObjectNode toConfigJson(TransformerConfig c, HfConfig loaded) {
        ObjectNode n = loaded != null ? loaded.copy() : Json.MAPPER.createObjectNode();
        if (loaded == null) {
            n.putArray("architectures").add("GPT2LMHeadModel");
            n.put("model_type", "gpt2");
            n.put("activation_function", c.gelu == GeluOp.Kind.TANH ? "gelu_new" : "gelu");
        }
        n.put("vocab_size", c.vocabSize);
        n.put("n_embd", c.hidden);
        n.put("n_layer", c.layers);
        n.put("n_head", c.heads);
        n.put("n_inner", c.intermediate);
        n.put("n_positions", c.maxPositions);
        n.put("layer_norm_epsilon", c.normEps);
        n.put("tie_word_embeddings", c.tieEmbeddings);
        n.put("torch_dtype", "float32");
        return n;
    }
}
