package dev.tune4j.train.rl;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.AddOp;
import dev.tune4j.autograd.ops.ReshapeOp;
import dev.tune4j.autograd.ops.ScalarLossOp;
import dev.tune4j.autograd.ops.ScaleOp;
import dev.tune4j.autograd.ops.TokenLogProbsOp;
import dev.tune4j.nn.Transformer;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Objective;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GRPO's and PPO's loss on a rollout batch: the policy's per-token log-probabilities of the sampled
 * completions ({@link TokenLogProbsOp}) into the clipped surrogate ({@link PolicyLoss}); for PPO
 * also the value head on the same hidden states into the clipped value loss ({@link ValueLoss}),
 * weighted by {@code valueCoef}. One forward for both.
 */
public final class RlObjective implements Objective<RlBatch> {
    private final Transformer policy;
    private final PolicyLoss loss;
    private final ValueHead value;
    private final ValueLoss valueLoss;
    private final double valueCoef;

    /** @param value null for GRPO (no value model) */
    public RlObjective(Transformer policy, PolicyLoss loss, ValueHead value, ValueLoss valueLoss, double valueCoef) {
        this.policy = policy;
        this.loss = loss;
        this.value = value;
        this.valueLoss = valueLoss;
        this.valueCoef = valueCoef;
    }

    @Override
    public Loss loss(RlBatch batch) {
        LmBatch rows = batch.rows();
        int b = rows.tokens().batch(), t = rows.tokens().seq();
        int[] at = batch.positions();
        Var hidden = policy.hidden(rows.tokens());
        Var logits = ReshapeOp.apply(policy.logits(hidden), b * t, policy.config.vocabSize);
        Var tokens = TokenLogProbsOp.apply(logits, rows.targets(), LmBatch.IGNORE);
        Map<String, Double> metrics = new LinkedHashMap<>(batch.stats());
        Var total = ScalarLossOp.apply(tokens, (x, grad) -> {
            double[] lp = gather(x, at), g = new double[at.length];
            PolicyLoss.Result r = loss.apply(lp, batch.tokens(), g);
            for (int i = 0; i < at.length; i++) grad[at[i]] = g[i];
            metrics.putAll(r.metrics());
            metrics.put("policy_loss", r.loss());
            return r.loss();
        });
        if (value != null) {
            Var values = ReshapeOp.apply(value.forward(hidden), b * t);
            Var vl = ScalarLossOp.apply(values, (x, grad) -> {
                double[] v = gather(x, at), g = new double[at.length];
                double l = valueLoss.apply(v, batch.oldValues(), batch.returns(), g);
                for (int i = 0; i < at.length; i++) grad[at[i]] = g[i];
                metrics.put("value_loss", l);
                return l;
            });
            total = AddOp.apply(total, ScaleOp.apply(vl, (float) valueCoef));
        }
        return new Loss(total, b, metrics);
    }

    static double[] gather(double[] x, int[] at) {
        double[] out = new double[at.length];
        for (int i = 0; i < at.length; i++) out[i] = x[at[i]];
        return out;
    }
}
