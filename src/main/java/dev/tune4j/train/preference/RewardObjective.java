package dev.tune4j.train.preference;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ReshapeOp;
import dev.tune4j.autograd.ops.ScalarLossOp;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.train.Objective;

import java.util.Map;

/**
 * A reward model's Bradley-Terry loss: a sequence classifier with one output scores 2n rows (n
 * chosen, then their n rejected), and {@link PairLoss#bradleyTerry} compares the scores pair by
 * pair. Logged and evaluated: pairwise accuracy, mean margin, mean chosen and rejected rewards.
 */
public final class RewardObjective implements Objective<TokenBatch> {
    private final SequenceClassifier model;
    private final PairLoss loss;

    public RewardObjective(SequenceClassifier model, double margin) {
        if (model.numLabels() != 1) throw new IllegalArgumentException("a reward model has one output, this classifier has " + model.numLabels());
        this.model = model;
        this.loss = PairLoss.bradleyTerry(margin);
    }

    @Override
    public Loss loss(TokenBatch pairs) {
        if (pairs.batch() % 2 != 0) throw new IllegalArgumentException("reward batches hold chosen and rejected rows in pairs, got " + pairs.batch());
        Var scores = ReshapeOp.apply(model.logits(pairs), pairs.batch());
        Map<String, Double> metrics = new java.util.LinkedHashMap<>();
        Var value = ScalarLossOp.apply(scores, (x, grad) -> {
            PairLoss.Result r = loss.apply(x, null, null, grad);
            metrics.putAll(r.metrics());
            return r.loss();
        });
        return new Loss(value, pairs.batch() / 2, metrics);
    }
}
