package dev.tune4j.train;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.CrossEntropyOp;
import dev.tune4j.model.bert.BertClassifier;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.tensor.Shape;

import java.util.Map;
import java.util.function.Function;

/**
 * Sequence classification: softmax cross-entropy of the [B, numLabels] logits against each
 * sequence's class id, averaged over the scored examples, with {@code accuracy} (argmax equals the
 * label, ties to the lower id) as the metric.
 */
public final class ClassificationObjective implements Objective<ClassificationBatch> {
    private final Function<TokenBatch, Var> logits;
    private final int numLabels;

    /** @param logits a model's class logits [B, numLabels] for a batch */
    public ClassificationObjective(Function<TokenBatch, Var> logits, int numLabels) {
        if (numLabels < 2) throw new IllegalArgumentException("classification needs at least 2 labels, got " + numLabels);
        this.logits = logits;
        this.numLabels = numLabels;
    }

    public ClassificationObjective(BertClassifier model) {
        this(model::logits, model.numLabels());
    }

    @Override
    public Loss loss(ClassificationBatch batch) {
        Var z = logits.apply(batch.tokens());
        int rows = batch.tokens().batch();
        Shape.check(z.shape().length == 2 && z.shape()[0] == rows && z.shape()[1] == numLabels, "ClassificationObjective",
                "logits must be [batch, " + numLabels + " labels] for " + rows + " sequences", z.shape());
        Var loss = CrossEntropyOp.apply(z, batch.labels(), ClassificationBatch.IGNORE);
        long scored = batch.scoredExamples();
        return new Loss(loss, scored, Map.of("accuracy", scored == 0 ? 0.0 : (double) correct(z.value().toHeap().data(), batch.labels()) / scored));
    }

    /** Scored examples whose highest logit is their label. */
    int correct(float[] z, int[] labels) {
        int right = 0;
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] == ClassificationBatch.IGNORE) continue;
            int best = 0;
            for (int k = 1; k < numLabels; k++) if (z[r * numLabels + k] > z[r * numLabels + best]) best = k;
            if (best == labels[r]) right++;
        }
        return right;
    }
}
