package dev.tune4j.model.bert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.autograd.ops.GeluOp;
import dev.tune4j.model.ClassLabels;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.ModelFamily;
import dev.tune4j.model.SequenceClassifier.Pooling;
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
 * BERT encoders (all-MiniLM-L6-v2, bge-small, e5-small, BertForSequenceClassification): post-norm
 * LayerNorm, GELU (erf), learned positions, token types, bidirectional attention with padding masks.
 * Checkpoints name tensors with or without a "bert." prefix; old ones call LayerNorm weights gamma/beta.
 *
 * <p>The architecture decides the module: {@code BertForSequenceClassification} builds a
 * {@link BertClassifier} (encoder + pooler + classifier, all loaded and exported); so does a
 * {@code BertModel} whose config.json carries {@value BertClassifier#TUNE4J_HEAD} (tune4j's
 * mean-pooled classifier, saved as a BertModel plus {@code classifier.*} and a README saying so);
 * every other architecture builds the bare encoder, a {@link Transformer}, and leaves pooler and heads unused.
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
        c.vocabSize = hf.requireSize("vocab_size");
        c.hidden = hf.requireSize("hidden_size");
        c.layers = hf.requireSize("num_hidden_layers");
        c.heads = hf.requireSize("num_attention_heads");
        c.kvHeads = c.heads;
        c.intermediate = hf.requireSize("intermediate_size");
        c.maxPositions = hf.getSize("max_position_embeddings", 512);
        c.typeVocabSize = hf.getCount("type_vocab_size", 2);
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

    /** A {@link BertClassifier} for a sequence classifier's config, else the encoder alone. */
    @Override
    public Module build(TransformerConfig c, HfConfig hf) {
        return isSequenceClassifier(hf) ? BertClassifier.fromConfig(c, hf) : new Transformer(c);
    }

    @Override
    public Map<String, int[]> parameterShapes(TransformerConfig c, HfConfig hf) {
        return isSequenceClassifier(hf) ? BertClassifier.parameterShapes(c, hf) : Transformer.parameterShapes(c);
    }

    @Override
    public boolean isSequenceClassifier(HfConfig hf) {
        return hf != null && (BertClassifier.ARCHITECTURE.equals(hf.architecture()) || hf.has(BertClassifier.TUNE4J_HEAD));
    }

    public List<WeightRule> weights(TransformerConfig c, HfConfig hf) {
        List<WeightRule> encoder = encoderWeights(c);
        if (!isSequenceClassifier(hf)) return encoder;
        // BertClassifier holds the encoder as its child "encoder"; the head sits beside it.
        List<WeightRule> r = new ArrayList<>();
        for (WeightRule w : encoder) r.add(w.under("encoder"));
        if (BertClassifier.poolingOf(hf) == Pooling.CLS) {
            r.add(WeightRule.same("pooler.dense.weight", "pooler.weight"));
            r.add(WeightRule.same("pooler.dense.bias", "pooler.bias"));
        }
        r.add(WeightRule.same("classifier.weight", "classifier.weight"));
        r.add(WeightRule.same("classifier.bias", "classifier.bias"));
        return r;
    }

    /**
     * CLS pooling: BertForSequenceClassification. MEAN pooling: transformers has no class for it, so
     * the config stays a {@code BertModel} (which AutoModel loads as the encoder) and
     * {@value BertClassifier#TUNE4J_HEAD} marks the head; export adds a README saying how to use it.
     */
    @Override
    public ObjectNode classifierConfig(HfConfig base, ClassLabels labels, Pooling pooling, Tokenizer tokenizer) {
        Pooling p = pooling == null ? Pooling.CLS : pooling;
        ObjectNode n = base.copy();
        switch (p) {
            case CLS -> {
                n.putArray("architectures").add(BertClassifier.ARCHITECTURE);
                n.remove(BertClassifier.TUNE4J_HEAD);
            }
            case MEAN -> {
                n.putArray("architectures").add("BertModel");
                ObjectNode head = n.putObject(BertClassifier.TUNE4J_HEAD);
                head.put("pooling", "mean");
                head.put("note", "not BertForSequenceClassification: logits = classifier(mean of last_hidden_state over attention_mask); see README.md");
            }
            case LAST_TOKEN -> throw new IllegalArgumentException(base.source() + ": BERT classifiers pool CLS or MEAN, not the last token");
        }
        labels.writeTo(n);
        n.put("problem_type", "single_label_classification");
        return n;
    }

    /** BertForSequenceClassification nests the encoder and pooler under "bert."; BertModel (and the mean head) does not. */
    @Override
    public String savedName(String ruleName, HfConfig hf) {
        boolean nested = hf != null && BertClassifier.ARCHITECTURE.equals(hf.architecture());
        return nested && !ruleName.startsWith("classifier.") ? "bert." + ruleName : ruleName;
    }

    @Override
    public Map<String, String> exportNotes(HfConfig hf) {
        return hf != null && hf.has(BertClassifier.TUNE4J_HEAD) && BertClassifier.poolingOf(hf) == Pooling.MEAN
                ? Map.of("README.md", MEAN_HEAD_README) : Map.of();
    }

    private static final String MEAN_HEAD_README = """
            # A mean-pooled BERT classifier (tune4j)

            This is **not** a `BertForSequenceClassification`. Its logits are

                classifier(mean of last_hidden_state over the tokens whose attention_mask is 1)

            with no pooler and no tanh. transformers has no class for that head, so `config.json` says
            `"architectures": ["BertModel"]`, marks the head with `"tune4j_classifier": {"pooling": "mean"}`
            and keeps the class names in `id2label` / `label2id`. The encoder's tensors carry BertModel's
            names; the head is `classifier.weight` [num_labels, hidden] and `classifier.bias` [num_labels].

            - tune4j loads this folder back as the same classifier.
            - `AutoModel.from_pretrained(dir)` loads the encoder (it reports `classifier.*` as unused and a
              pooler as newly initialised; neither matters here).
            - Do not use `AutoModelForSequenceClassification`: it would build a CLS-pooled classifier with a
              random pooler, a different model.

            In PyTorch:

            ```python
            import torch
            from safetensors.torch import load_file
            from transformers import AutoModel, AutoTokenizer

            encoder, tokenizer = AutoModel.from_pretrained(DIR), AutoTokenizer.from_pretrained(DIR)
            head = load_file(f"{DIR}/model.safetensors")
            W, b = head["classifier.weight"].float(), head["classifier.bias"].float()
            batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
            h = encoder(**batch).last_hidden_state.float()
            m = batch["attention_mask"].unsqueeze(-1).float()
            logits = ((h * m).sum(1) / m.sum(1).clamp(min=1e-9)) @ W.T + b
            ```
            """;

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
