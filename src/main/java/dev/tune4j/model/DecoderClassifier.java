package dev.tune4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.LastTokenPoolOp;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Hugging Face's decoder sequence classifiers ({@code LlamaForSequenceClassification},
 * {@code Qwen2ForSequenceClassification}, {@code MistralForSequenceClassification},
 * {@code GPT2ForSequenceClassification}): the decoder without its LM head, the final hidden state
 * of each sequence's last token, and {@code score}, a Linear hidden -> number of labels without
 * bias. Parameters are named {@code backbone.*} and {@code score.weight}; the families map them to
 * the checkpoint's {@code model.*} / {@code transformer.*} and {@code score.weight}.
 *
 * <p>Which token is last: Hugging Face looks for pad_token_id in the input ids; tune4j takes the last
 * position whose attention mask is 1. The two agree whenever batches are padded with pad_token_id
 * and no real token equals it (so do not end texts with an EOS that doubles as the pad token).
 */
public final class DecoderClassifier extends Module implements SequenceClassifier {
    public final Transformer backbone;
    public final Linear score;
    private final ClassLabels labels;

    /** @param c the decoder's config, without an LM head (a classifier has none) */
    public DecoderClassifier(TransformerConfig c, List<String> labels) {
        if (c.lmHead) throw new IllegalArgumentException("a decoder classifier's transformer has no LM head: set lmHead = false");
        this.labels = new ClassLabels(labels);
        this.backbone = child("backbone", new Transformer(c));
        // A stream of its own, so the head's init does not shift the backbone's.
        this.score = child("score", new Linear(c.hidden, labels.size(), false, new SplittableRandom(c.seed ^ 0x5C0BEL), c.initStd));
    }

    public static DecoderClassifier fromConfig(TransformerConfig c, HfConfig hf) {
        return new DecoderClassifier(c, ClassLabels.fromConfig(hf).names());
    }

    /** The parameter shapes {@link #fromConfig} gives, without building it: the backbone's under "backbone.", then score's. */
    public static Map<String, int[]> parameterShapes(TransformerConfig c, HfConfig hf) {
        Map<String, int[]> s = new LinkedHashMap<>();
        Transformer.parameterShapes(c).forEach((name, shape) -> s.put("backbone." + name, shape));
        Transformer.linear(s, "score", c.hidden, ClassLabels.fromConfig(hf).names().size(), false);
        return s;
    }

    /** Class logits [B, numLabels]: score(h[b, last token of b]). */
    @Override
    public Var logits(TokenBatch batch) {
        return score.forward(LastTokenPoolOp.apply(backbone.hidden(batch), batch.attentionMask()));
    }

    @Override public ClassLabels classLabels() { return labels; }

    @Override public Pooling pooling() { return Pooling.LAST_TOKEN; }

    @Override public Transformer backbone() { return backbone; }

    @Override public Linear output() { return score; }

    @Override public Module module() { return this; }

    /** Backbone rules (as the causal LM names them) under "backbone.", plus score.weight. */
    public static List<WeightRule> rules(List<WeightRule> backboneRules) {
        List<WeightRule> r = new ArrayList<>();
        for (WeightRule w : backboneRules) r.add(w.under("backbone"));
        r.add(WeightRule.same("score.weight", "score.weight"));
        return r;
    }

    /** A decoder classifier's config.json over {@code base} (see {@link ModelFamily#classifierConfig}). */
    public static ObjectNode config(HfConfig base, String architecture, ClassLabels labels, Pooling pooling, Tokenizer tokenizer) {
        if (pooling != null && pooling != Pooling.LAST_TOKEN) {
            throw new IllegalArgumentException("decoder classifiers pool the last token (" + architecture + "); pooling " + pooling + " is for BERT");
        }
        ObjectNode n = base.copy();
        n.putArray("architectures").add(architecture);
        labels.writeTo(n);
        n.put("problem_type", labels.size() == 1 ? "regression" : "single_label_classification");
        n.put("pad_token_id", padTokenId(base, tokenizer));
        return n;
    }

    /**
     * The pad_token_id a classifier config.json needs (Hugging Face's decoders refuse batches without
     * one): the config's own, else the tokenizer's pad token, else the EOS token (config's
     * eos_token_id, first of a list, else the tokenizer's), as is usual for decoders that have no pad token.
     */
    public static int padTokenId(HfConfig hf, Tokenizer tokenizer) {
        if (hf.has("pad_token_id") && hf.root().get("pad_token_id").isInt()) return hf.getInt("pad_token_id", -1);
        if (tokenizer != null && tokenizer.specialTokens().pad() >= 0) return tokenizer.specialTokens().pad();
        JsonNode eos = hf.root().get("eos_token_id");
        if (eos != null && eos.isArray() && !eos.isEmpty() && eos.get(0).isInt()) return eos.get(0).asInt();
        if (eos != null && eos.isInt()) return eos.asInt();
        if (tokenizer != null && tokenizer.specialTokens().eos() >= 0) return tokenizer.specialTokens().eos();
        throw new IllegalArgumentException(hf.source() + ": no pad_token_id, pad token or EOS token to use as one;"
                + " a decoder sequence classifier needs pad_token_id (set it in config.json)");
    }
}
