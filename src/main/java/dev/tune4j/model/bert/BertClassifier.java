package dev.tune4j.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ClsPoolOp;
import dev.tune4j.autograd.ops.DropoutOp;
import dev.tune4j.autograd.ops.TanhOp;
import dev.tune4j.model.HfConfig;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Hugging Face's {@code BertForSequenceClassification}: the BERT encoder, the pooler (a Linear
 * hidden -> hidden on the [CLS] token's last hidden state, then tanh: {@code BertPooler}), dropout,
 * and the classifier (a Linear hidden -> number of labels). Parameters are named {@code encoder.*},
 * {@code pooler.*} and {@code classifier.*}; {@link BertFamily} maps them to the checkpoint's
 * {@code bert.*}, {@code bert.pooler.dense.*} and {@code classifier.*}.
 */
public final class BertClassifier extends Module {
    /** The config.json architecture this module loads. */
    public static final String ARCHITECTURE = "BertForSequenceClassification";

    public final Transformer encoder;
    public final Linear pooler;
    public final Linear classifier;
    private final List<String> labels;
    private final Map<String, Integer> labelIds;
    private final float classifierDropout;
    private final SplittableRandom dropoutRng;

    /**
     * @param labels            class names in id order (at least one)
     * @param classifierDropout dropout on the pooled output in training (HF: classifier_dropout, else hidden_dropout_prob)
     */
    public BertClassifier(TransformerConfig c, List<String> labels, float classifierDropout) {
        if (labels.isEmpty()) throw new IllegalArgumentException("a classifier needs at least one label");
        if (!(classifierDropout >= 0f && classifierDropout < 1f)) {
            throw new IllegalArgumentException("classifier dropout must be in [0, 1), got " + classifierDropout);
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            if (ids.putIfAbsent(labels.get(i), i) != null) throw new IllegalArgumentException("duplicate label '" + labels.get(i) + "' in " + labels);
        }
        this.encoder = child("encoder", new Transformer(c));
        // A stream of its own, so the head's init and dropout do not shift the encoder's.
        SplittableRandom rng = new SplittableRandom(c.seed ^ 0x5DEECE66DL);
        this.pooler = child("pooler", new Linear(c.hidden, c.hidden, true, rng, c.initStd));
        this.classifier = child("classifier", new Linear(c.hidden, labels.size(), true, rng, c.initStd));
        this.labels = List.copyOf(labels);
        this.labelIds = Collections.unmodifiableMap(ids);
        this.classifierDropout = classifierDropout;
        this.dropoutRng = rng.split();
    }

    /** A classifier for a config.json: its labels ({@link #labelsOf}) and classifier dropout. */
    public static BertClassifier fromConfig(TransformerConfig c, HfConfig hf) {
        double p = hf.has("classifier_dropout") ? hf.getDouble("classifier_dropout", 0) : hf.getDouble("hidden_dropout_prob", 0);
        return new BertClassifier(c, labelsOf(hf), (float) p);
    }

    /**
     * Class names in id order, as Hugging Face reads them: from {@code id2label} ({"0": "NEGATIVE", ...}),
     * else {@code num_labels} names LABEL_0..LABEL_{n-1}, else two labels.
     */
    public static List<String> labelsOf(HfConfig hf) {
        JsonNode id2label = hf.root().get("id2label");
        Integer n = hf.has("num_labels") ? Integer.valueOf(hf.getInt("num_labels", 0)) : hf.has("_num_labels") ? Integer.valueOf(hf.getInt("_num_labels", 0)) : null;
        if (id2label == null || id2label.isNull()) {
            int count = n == null ? 2 : n;
            if (count < 1) throw new IllegalArgumentException(hf.source() + ": num_labels must be at least 1, got " + count);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add("LABEL_" + i);
            return out;
        }
        if (!id2label.isObject() || id2label.isEmpty()) throw new IllegalArgumentException(hf.source() + ": id2label must be a non-empty object {\"0\": \"name\", ...}");
        TreeMap<Integer, String> byId = new TreeMap<>();
        for (var e : id2label.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey().trim());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(hf.source() + ": id2label key '" + e.getKey() + "' is not a class id");
            }
            byId.put(id, e.getValue().asText());
        }
        if (byId.firstKey() != 0 || byId.lastKey() != byId.size() - 1) {
            throw new IllegalArgumentException(hf.source() + ": id2label ids must be 0.." + (byId.size() - 1) + ", got " + byId.keySet());
        }
        if (n != null && n != byId.size()) {
            throw new IllegalArgumentException(hf.source() + ": num_labels " + n + " contradicts id2label's " + byId.size() + " labels");
        }
        return new ArrayList<>(byId.values());
    }

    public int numLabels() { return labels.size(); }

    /** Class names in id order (config.json's id2label). */
    public List<String> labels() { return labels; }

    /** Name -> class id (config.json's label2id). */
    public Map<String, Integer> labelIds() { return labelIds; }

    /** The class id of a label name, or an error listing the labels. */
    public int labelId(String name) {
        Integer id = labelIds.get(name);
        if (id == null) throw new IllegalArgumentException("unknown label '" + name + "' (labels: " + String.join(", ", labels) + ")");
        return id;
    }

    public float classifierDropout() { return classifierDropout; }

    /** The pooled representation [B, hidden]: tanh(W_p · h_[CLS] + b_p). */
    public Var pooled(TokenBatch batch) {
        return TanhOp.apply(pooler.forward(ClsPoolOp.apply(encoder.hidden(batch))));
    }

    /** Class logits [B, numLabels]; dropout on the pooled output applies in training mode only. */
    public Var logits(TokenBatch batch) {
        Var pooled = DropoutOp.apply(pooled(batch), classifierDropout, dropoutRng, isTraining());
        return classifier.forward(pooled);
    }
}
