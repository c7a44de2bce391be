package dev.tune4j.train.preference;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ReshapeOp;
import dev.tune4j.autograd.ops.ScalarLossOp;
import dev.tune4j.autograd.ops.TokenLogProbsOp;
import dev.tune4j.nn.Transformer;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Objective;
import dev.tune4j.train.ReferenceModel;
import dev.tune4j.train.SequenceLogProbs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO, IPO, ORPO and SimPO: chosen and rejected completions through the policy in one batch,
 * per-token log-probabilities of the completion tokens ({@link TokenLogProbsOp}), summed per
 * sequence and turned into the pair loss ({@link PairLoss} through {@link ScalarLossOp}). The loss
 * is a mean over pairs; logged with it: the implicit rewards of chosen and rejected, their margin,
 * the accuracy (chosen rewarded higher) and the mean summed log-probabilities of both.
 */
public final class PreferenceObjective implements Objective<PreferenceBatch> {
    private final Transformer policy;
    private final PairLoss loss;

    public PreferenceObjective(Transformer policy, PairLoss loss) {
        this.policy = policy;
        this.loss = loss;
    }

    @Override
    public Loss loss(PreferenceBatch batch) {
        if (loss.needsReference() && batch.reference() == null) {
            throw new IllegalStateException(loss.kind().id + " needs reference log-probabilities: score the pairs with withReference first");
        }
        LmBatch rows = batch.rows();
        int b = rows.tokens().batch(), t = rows.tokens().seq();
        Var logits = policy.logits(rows.tokens());
        Var tokens = TokenLogProbsOp.apply(ReshapeOp.apply(logits, b * t, policy.config.vocabSize), rows.targets(), LmBatch.IGNORE);
        int[] counts = SequenceLogProbs.counts(rows);
        for (int i = 0; i < b; i++) {
            if (counts[i] == 0) throw new IllegalArgumentException("preference row " + i + " has no completion token to score (cut by max_length?)");
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        Var value = ScalarLossOp.apply(tokens, (x, grad) -> {
            double[] sums = new double[b];
            for (int i = 0; i < b * t; i++) if (rows.targets()[i] != LmBatch.IGNORE) sums[i / t] += x[i];
            double[] seqGrad = new double[b];
            PairLoss.Result r = loss.apply(sums, counts, batch.reference(), seqGrad);
            for (int i = 0; i < b * t; i++) if (rows.targets()[i] != LmBatch.IGNORE) grad[i] = seqGrad[i / t];
            metrics.putAll(r.metrics());
            int n = b / 2;
            double c = 0, rj = 0;
            for (int i = 0; i < n; i++) {
                c += sums[i];
                rj += sums[n + i];
            }
            metrics.put("logps/chosen", c / n);
            metrics.put("logps/rejected", rj / n);
            return r.loss();
        });
        return new Loss(value, batch.pairs(), metrics);
    }

    /**
     * The pairs with the reference's summed log-probabilities, computed once, before training, in
     * groups of {@code batchSize} pairs (no tape).
     */
    public static List<PreferenceBatch.Pair> withReference(List<PreferenceBatch.Pair> pairs, ReferenceModel reference, int batchSize) {
        List<PreferenceBatch.Pair> out = new ArrayList<>(pairs.size());
        for (int from = 0; from < pairs.size(); from += batchSize) {
            List<PreferenceBatch.Pair> group = pairs.subList(from, Math.min(pairs.size(), from + batchSize));
            LmBatch rows = PreferenceBatch.collate(group).rows();
            double[] sums = SequenceLogProbs.sums(rows, reference.tokenLogProbs(rows));
            int n = group.size();
            for (int i = 0; i < n; i++) out.add(group.get(i).withReference(sums[i], sums[n + i]));
        }
        return out;
    }
}
