package dev.tune4j.model.bert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.autograd.ops.GeluOp;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.ModelFamily;
import dev.tune4j.model.WeightRule;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Norm;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * BERT encoders (all-MiniLM-L6-v2, bge-small, e5-small, BertForSequenceClassification): post-norm
 * LayerNorm, GELU (erf), learned positions, token types, bidirectional attention with padding masks.
 * Checkpoints name tensors with or without a "bert." prefix; old ones call LayerNorm weights gamma/beta.
 *
 * <p>The architecture decides the module: {@code BertForSequenceClassification} builds a
 * {@link BertClassifier} (encoder + pooler + classifier, all loaded and exported); every other
 * architecture builds the bare encoder, a {@link Transformer}, and leaves pooler and heads unused.
 */
public final class BertFamily implements ModelFamily {

    public String name() { return "bert"; }

    public Set<String> architectures() {
        return Set.of("BertModel", "BertForSequenceClassification", "BertForMaskedLM");
    }

    public Set<String> modelTypes() { return Set.of("bert"); }

    public TransformerConfig config(HfConfig hf) {
        String act = hf.getString("hidden_act", "gelu");
        String positions = hf.getString("position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw new IllegalArgumentException(hf.source() + ": position_embedding_type '" + positions + "' is not supported for BERT (absolute only)");
        }
        TransformerConfig c = new TransformerConfig();
        c.vocabSize = hf.requireInt("vocab_size");
        c.hidden = hf.requireInt("hidden_size");
        c.layers = hf.requireInt("num_hidden_layers");
        c.heads = hf.requireInt("num_attention_heads");
        c.kvHeads = c.heads;
        c.intermediate = hf.requireInt("intermediate_size");
        c.maxPositions = hf.getInt("max_position_embeddings", 512);
        c.typeVocabSize = hf.getInt("type_vocab_size", 2);
        c.norm = Norm.Kind.LAYER_NORM;
        c.normEps = (float) hf.getDouble("layer_norm_eps", 1e-12);
        c.preNorm = false;
        c.finalNorm = false;
        c.embeddingNorm = true;
        c.mlp = TransformerConfig.Mlp.GELU;
        c.gelu = switch (act) {
            case "gelu" -> GeluOp.Kind.ERF;
            case "gelu_new", "gelu_pytorch_tanh" -> GeluOp.Kind.TANH;
            default -> throw new IllegalArgumentException(hf.source() + ": hidden_act '" + act + "' is not supported for BERT");
        };
        c.causal = false;
        c.positions = TransformerConfig.Positions.LEARNED;
        c.lmHead = false;
        c.dropout = (float) hf.getDouble("hidden_dropout_prob", 0.0);
        return c.validate();
    }

    /** A {@link BertClassifier} for BertForSequenceClassification, else the encoder alone. */
    @Override
    public Module build(TransformerConfig c, HfConfig hf) {
        return isSequenceClassifier(hf) ? BertClassifier.fromConfig(c, hf) : new Transformer(c);
    }

    public static boolean isSequenceClassifier(HfConfig hf) {
        return hf != null && BertClassifier.ARCHITECTURE.equals(hf.architecture());
    }

    public List<WeightRule> weights(TransformerConfig c, HfConfig hf) {
        List<WeightRule> encoder = encoderWeights(c);
        if (!isSequenceClassifier(hf)) return encoder;
        // BertClassifier holds the encoder as its child "encoder"; the head sits beside it.
        List<WeightRule> r = new ArrayList<>();
        for (WeightRule w : encoder) r.add(WeightRule.same(w.hfName(), "encoder." + w.ours().getFirst()));
        r.add(WeightRule.same("pooler.dense.weight", "pooler.weight"));
        r.add(WeightRule.same("pooler.dense.bias", "pooler.bias"));
        r.add(WeightRule.same("classifier.weight", "classifier.weight"));
        r.add(WeightRule.same("classifier.bias", "classifier.bias"));
        return r;
    }

    private static List<WeightRule> encoderWeights(TransformerConfig c) {
        List<WeightRule> r = new ArrayList<>();
        r.add(WeightRule.same("embeddings.word_embeddings.weight", "embed.weight"));
        r.add(WeightRule.same("embeddings.position_embeddings.weight", "pos_embed.weight"));
        if (c.typeVocabSize > 0) r.add(WeightRule.same("embeddings.token_type_embeddings.weight", "type_embed.weight"));
        r.add(WeightRule.same("embeddings.LayerNorm.weight", "embed_norm.weight"));
        r.add(WeightRule.same("embeddings.LayerNorm.bias", "embed_norm.bias"));
        for (int i = 0; i < c.layers; i++) {
            String p = "encoder.layer." + i + ".", o = "layers." + i + ".";
            String[][] map = {
                    {"attention.self.query", "attn.q"}, {"attention.self.key", "attn.k"}, {"attention.self.value", "attn.v"},
                    {"attention.output.dense", "attn.o"}, {"attention.output.LayerNorm", "norm1"},
                    {"intermediate.dense", "mlp.up"}, {"output.dense", "mlp.down"}, {"output.LayerNorm", "norm2"}};
            for (String[] m : map) {
                r.add(WeightRule.same(p + m[0] + ".weight", o + m[1] + ".weight"));
                r.add(WeightRule.same(p + m[0] + ".bias", o + m[1] + ".bias"));
            }
        }
        return r;
    }

    /** BertForSequenceClassification holds the encoder and pooler under "bert."; BertModel is the encoder itself. */
    @Override
    public String stateDictName(String ruleName, HfConfig hf) {
        return isSequenceClassifier(hf) && !ruleName.startsWith("classifier.") ? "bert." + ruleName : ruleName;
    }

    @Override
    public List<String> defaultLoraTargets() {
        return List.of("query", "key", "value", "dense");
    }

    /** Strips the "bert." prefix and maps legacy gamma/beta names to weight/bias. */
    @Override
    public String canonicalName(String hfName) {
        String n = hfName.startsWith("bert.") ? hfName.substring(5) : hfName;
        if (n.endsWith("LayerNorm.gamma")) n = n.substring(0, n.length() - 5) + "weight";
        if (n.endsWith("LayerNorm.beta")) n = n.substring(0, n.length() - 4) + "bias";
        return n;
    }

    public boolean ignorable(String hfName) {
        String n = canonicalName(hfName);
        // Not part of the encoder; a BertClassifier's rules load pooler and classifier (used tensors are never asked about).
        return n.startsWith("pooler.") || n.startsWith("cls.") || n.startsWith("classifier.") || n.equals("embeddings.position_ids");
    }

    public ObjectNode toConfigJson(TransformerConfig c, HfConfig loaded) {
        ObjectNode n = loaded != null ? loaded.copy() : Json.MAPPER.createObjectNode();
        if (loaded == null) {
            n.putArray("architectures").add("BertModel");
            n.put("model_type", "bert");
            n.put("hidden_act", c.gelu == GeluOp.Kind.ERF ? "gelu" : "gelu_new");
        }
        n.put("vocab_size", c.vocabSize);
        n.put("hidden_size", c.hidden);
        n.put("num_hidden_layers", c.layers);
        n.put("num_attention_heads", c.heads);
        n.put("intermediate_size", c.intermediate);
        n.put("max_position_embeddings", c.maxPositions);
        n.put("type_vocab_size", c.typeVocabSize);
        n.put("layer_norm_eps", c.normEps);
        n.put("torch_dtype", "float32");
        return n;
    }
}
