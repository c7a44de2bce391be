package dev.tune4j.train;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.CrossEntropyOp;
import dev.tune4j.autograd.ops.ScaleOp;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.tensor.Shape;

import java.util.Map;
import java.util.function.Function;

/**
 * Sequence classification with any {@link SequenceClassifier} (or any function giving [B, numLabels]
 * logits): softmax cross-entropy of each scored sequence's logits against its class id, optionally
 * with a weight per class as torch's {@code cross_entropy(weight=...)}.
 *
 * <p>For gradient accumulation the loss comes as a SUM ({@link #lossSum}): the loss of an update
 * over micro-batches is the sum of their lossSums divided by the sum of their {@link #weight}s,
 * which is torch's weighted mean over the whole update (without class weights, the weight is the
 * {@link #count} of scored examples and this is the plain mean).
 */
public final class ClassificationObjective implements Objective<ClassificationBatch> {
    private final Function<TokenBatch, Var> logits;
    private final int numLabels;
    private final float[] classWeights;
    private final java.util.List<String> labelNames; // null: classes are reported by id

    /**
     * @param logits       a model's class logits [B, numLabels] for a batch
     * @param classWeights one weight per class (finite, >= 0), or null for all 1
     */
    public ClassificationObjective(Function<TokenBatch, Var> logits, int numLabels, float[] classWeights) {
        this(logits, numLabels, classWeights, null);
    }

    private ClassificationObjective(Function<TokenBatch, Var> logits, int numLabels, float[] classWeights, java.util.List<String> labelNames) {
        if (numLabels < 2) throw new IllegalArgumentException("classification needs at least 2 labels, got " + numLabels);
        if (classWeights != null && classWeights.length != numLabels) {
            throw new IllegalArgumentException("ClassificationObjective: " + classWeights.length + " class weights for " + numLabels + " labels");
        }
        this.logits = logits;
        this.numLabels = numLabels;
        this.classWeights = classWeights == null ? null : classWeights.clone();
        this.labelNames = labelNames;
    }

    public ClassificationObjective(Function<TokenBatch, Var> logits, int numLabels) {
        this(logits, numLabels, null);
    }

    public ClassificationObjective(SequenceClassifier model, float[] classWeights) {
        this(model::logits, model.numLabels(), classWeights, model.labels());
    }

    public ClassificationObjective(SequenceClassifier model) {
        this(model, null);
    }

    /** Scored (not ignored) examples of the batch. */
    public long count(ClassificationBatch batch) {
        return batch.scoredExamples();
    }

    /** The batch's share of the mean's divisor: sum of the class weights of its scored labels (= {@link #count} unweighted). */
    public double weight(ClassificationBatch batch) {
        return CrossEntropyOp.weightSum(batch.labels(), ClassificationBatch.IGNORE, classWeights);
    }

    /** sum over scored examples of w[label] * -log softmax(logits)[label], a scalar Var to backpropagate. */
    public Var lossSum(ClassificationBatch batch) {
        return lossSum(batch, null);
    }

    /**
     * {@link #lossSum(ClassificationBatch)}, also adding the batch's predictions to {@code metrics}
     * (when not null) from the same forward pass.
     */
    public Var lossSum(ClassificationBatch batch, ClassificationMetrics metrics) {
        Var z = checkedLogits(batch);
        Var sum = CrossEntropyOp.apply(z, batch.labels(), ClassificationBatch.IGNORE, CrossEntropyOp.Reduction.SUM, classWeights);
        if (metrics != null) metrics.add(z.value(), batch.labels());
        return sum;
    }

    /** Runs the model (no loss) and adds the batch's predictions to {@code metrics}; for evaluation. */
    public void accumulate(ClassificationMetrics metrics, ClassificationBatch batch) {
        metrics.add(checkedLogits(batch).value(), batch.labels());
    }

    /** The batch's weighted mean loss (lossSum / weight) with its accuracy: one micro-batch on its own. */
    @Override
    public Loss loss(ClassificationBatch batch) {
        ClassificationMetrics m = new ClassificationMetrics(numLabels);
        Var sum = lossSum(batch, m);
        double w = weight(batch);
        return new Loss(ScaleOp.apply(sum, w == 0 ? 0f : (float) (1 / w)), count(batch), w, Map.of("accuracy", m.accuracy()));
    }

    /**
     * Streams a split: the weighted mean loss, accuracy, macro-F1, and per-class figures with the
     * confusion matrix as details; holds one batch's logits at a time.
     */
    @Override
    public Evaluator<ClassificationBatch> evaluator() {
        ClassificationMetrics m = new ClassificationMetrics(numLabels);
        return new Evaluator<>() {
            double sum, weight;

            public void add(ClassificationBatch batch) {
                sum += lossSum(batch, m).value().get(0);
                weight += ClassificationObjective.this.weight(batch);
            }

            public Evaluation result() {
                return new Evaluation(weight == 0 ? Double.NaN : sum / weight, m.total(), m.summary(), details(m));
            }
        };
    }

    /** Per-class precision/recall/F1/support by label name and the confusion matrix (rows: true label). */
    private Map<String, Object> details(ClassificationMetrics m) {
        Map<String, Object> perClass = new java.util.LinkedHashMap<>();
        for (ClassificationMetrics.ClassStats s : m.perClass()) {
            perClass.put(name(s.id()), Map.of("precision", s.precision(), "recall", s.recall(), "f1", s.f1(), "support", s.support()));
        }
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int k = 0; k < numLabels; k++) names.add(name(k));
        return Map.of("per_class", perClass, "confusion", Map.of("labels", names, "matrix", m.confusion()));
    }

    private String name(int k) {
        return labelNames == null ? Integer.toString(k) : labelNames.get(k);
    }

    private Var checkedLogits(ClassificationBatch batch) {
        Var z = logits.apply(batch.tokens());
        int rows = batch.tokens().batch();
        Shape.check(z.shape().length == 2 && z.shape()[0] == rows && z.shape()[1] == numLabels, "ClassificationObjective",
                "logits must be [batch, " + numLabels + " labels] for " + rows + " sequences", z.shape());
        return z;
    }
}
