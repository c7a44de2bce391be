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

    /**
     * @param logits       a model's class logits [B, numLabels] for a batch
     * @param classWeights one weight per class (finite, >= 0), or null for all 1
     */
    public ClassificationObjective(Function<TokenBatch, Var> logits, int numLabels, float[] classWeights) {
        if (numLabels < 2) throw new IllegalArgumentException("classification needs at least 2 labels, got " + numLabels);
        if (classWeights != null && classWeights.length != numLabels) {
            throw new IllegalArgumentException("ClassificationObjective: " + classWeights.length + " class weights for " + numLabels + " labels");
        }
        this.logits = logits;
        this.numLabels = numLabels;
        this.classWeights = classWeights == null ? null : classWeights.clone();
    }

    public ClassificationObjective(Function<TokenBatch, Var> logits, int numLabels) {
        this(logits, numLabels, null);
    }

    public ClassificationObjective(SequenceClassifier model, float[] classWeights) {
        this(model::logits, model.numLabels(), classWeights);
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
        return new Loss(ScaleOp.apply(sum, w == 0 ? 0f : (float) (1 / w)), count(batch), Map.of("accuracy", m.accuracy()));
    }

    private Var checkedLogits(ClassificationBatch batch) {
        Var z = logits.apply(batch.tokens());
        int rows = batch.tokens().batch();
        Shape.check(z.shape().length == 2 && z.shape()[0] == rows && z.shape()[1] == numLabels, "ClassificationObjective",
                "logits must be [batch, " + numLabels + " labels] for " + rows + " sequences", z.shape());
        return z;
    }
}
