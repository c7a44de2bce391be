package dev.tune4j.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ClsPoolOp;
import dev.tune4j.autograd.ops.DropoutOp;
import dev.tune4j.autograd.ops.DropoutStream;
import dev.tune4j.autograd.ops.MeanPoolOp;
import dev.tune4j.autograd.ops.TanhOp;
import dev.tune4j.model.ClassLabels;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A BERT sequence classifier. With {@link Pooling#CLS} it is Hugging Face's
 * {@code BertForSequenceClassification}: the BERT encoder, the pooler (a Linear hidden -> hidden on
 * the [CLS] token's last hidden state, then tanh: {@code BertPooler}), dropout, and the classifier
 * (a Linear hidden -> number of labels). With {@link Pooling#MEAN} (a tune4j option, no transformers
 * class) the pooler is left out and the classifier reads the mean of the hidden states of the tokens
 * whose attention mask is 1, as sentence-transformers embeds. Parameters are named {@code encoder.*},
 * {@code pooler.*} and {@code classifier.*}; {@link BertFamily} maps them to the checkpoint's.
 */
public final class BertClassifier extends Module implements SequenceClassifier {
    /** The config.json architecture of the CLS-pooled classifier. */
    public static final String ARCHITECTURE = "BertForSequenceClassification";
    /** The config.json key that marks a tune4j-only classifier head and says how it pools. */
    public static final String TUNE4J_HEAD = "tune4j_classifier";

    public final Transformer encoder;
    public final Linear pooler; // null with MEAN pooling
    public final Linear classifier;
    private final ClassLabels labels;
    private final Pooling pooling;
    private final float classifierDropout;
    private final DropoutStream dropoutRng;

    /**
     * @param labels            class names in id order (at least one)
     * @param classifierDropout dropout on the pooled output in training (HF: classifier_dropout, else hidden_dropout_prob)
     * @param pooling           CLS (with the tanh pooler) or MEAN
     */
    public BertClassifier(TransformerConfig c, List<String> labels, float classifierDropout, Pooling pooling) {
        if (!(classifierDropout >= 0f && classifierDropout < 1f)) {
            throw new IllegalArgumentException("classifier dropout must be in [0, 1), got " + classifierDropout);
        }
        if (pooling != Pooling.CLS && pooling != Pooling.MEAN) throw new IllegalArgumentException("BERT classifiers pool CLS or MEAN, not " + pooling);
        this.labels = new ClassLabels(labels);
        this.pooling = pooling;
        this.encoder = child("encoder", new Transformer(c));
        // A stream of its own, so the head's init and dropout do not shift the encoder's.
        SplittableRandom rng = new SplittableRandom(c.seed ^ 0x5DEECE66DL);
        this.pooler = pooling == Pooling.CLS ? child("pooler", new Linear(c.hidden, c.hidden, true, rng, c.initStd)) : null;
        this.classifier = child("classifier", new Linear(c.hidden, labels.size(), true, rng, c.initStd));
        this.classifierDropout = classifierDropout;
        this.dropoutRng = DropoutStream.split(rng);
    }

    /** A classifier for a config.json: its labels, pooling ({@link #poolingOf}) and classifier dropout. */
    public static BertClassifier fromConfig(TransformerConfig c, HfConfig hf) {
        double p = hf.has("classifier_dropout") ? hf.getDouble("classifier_dropout", 0) : hf.getDouble("hidden_dropout_prob", 0);
        return new BertClassifier(c, ClassLabels.fromConfig(hf).names(), (float) p, poolingOf(hf));
    }

    /** The parameter shapes {@link #fromConfig} gives, without building it: the encoder's under "encoder.", then the head's. */
    public static Map<String, int[]> parameterShapes(TransformerConfig c, HfConfig hf) {
        Map<String, int[]> s = new LinkedHashMap<>();
        Transformer.parameterShapes(c).forEach((name, shape) -> s.put("encoder." + name, shape));
        if (poolingOf(hf) == Pooling.CLS) Transformer.linear(s, "pooler", c.hidden, c.hidden, true);
        Transformer.linear(s, "classifier", c.hidden, ClassLabels.fromConfig(hf).names().size(), true);
        return s;
    }

    /** MEAN when config.json's {@value #TUNE4J_HEAD} says {"pooling": "mean"}, else CLS. */
    public static Pooling poolingOf(HfConfig hf) {
        JsonNode head = hf.root().get(TUNE4J_HEAD);
        if (head == null || head.isNull()) return Pooling.CLS;
        String p = head.path("pooling").asText("");
        return switch (p.toLowerCase(Locale.ROOT)) {
            case "mean" -> Pooling.MEAN;
            case "cls" -> Pooling.CLS;
            default -> throw new IllegalArgumentException(hf.source() + ": " + TUNE4J_HEAD + ".pooling must be \"mean\" or \"cls\", got '" + p + "'");
        };
    }

    /** Class names in id order (config.json's id2label). */
    @Override
    public List<String> labels() { return labels.names(); }

    @Override public ClassLabels classLabels() { return labels; }

    /** Name -> class id (config.json's label2id). */
    public Map<String, Integer> labelIds() { return labels.ids(); }

    /** The class id of a label name, or an error listing the labels. */
    public int labelId(String name) { return labels.id(name); }

    public float classifierDropout() { return classifierDropout; }

    @Override public Pooling pooling() { return pooling; }

    @Override public Transformer backbone() { return encoder; }

    @Override public Linear output() { return classifier; }

    @Override public Module module() { return this; }

    /**
     * The pooled representation [B, hidden]: tanh(W_p · h_[CLS] + b_p) with CLS pooling, the mean
     * over real tokens with MEAN.
     */
    public Var pooled(TokenBatch batch) {
        Var hidden = encoder.hidden(batch);
        if (pooling == Pooling.MEAN) return MeanPoolOp.apply(hidden, maskOrOnes(batch));
        return TanhOp.apply(pooler.forward(ClsPoolOp.apply(hidden)));
    }

    /** Class logits [B, numLabels]; dropout on the pooled output applies in training mode only. */
    @Override
    public Var logits(TokenBatch batch) {
        Var pooled = DropoutOp.apply(pooled(batch), classifierDropout, dropoutRng, isTraining());
        return classifier.forward(pooled);
    }

    private static int[][] maskOrOnes(TokenBatch batch) {
        if (batch.attentionMask() != null) return batch.attentionMask();
        int[][] ones = new int[batch.batch()][batch.seq()];
        for (int[] row : ones) Arrays.fill(row, 1);
        return ones;
    }
}
