package dev.tune4j.train.rl;

/**
 * PPO's clipped value loss over completion tokens, a mean:
 * {@code 0.5 * max((V - R)^2, (V_old + clip(V - V_old, -c, c) - R)^2)}, so one rollout batch's
 * several epochs cannot move the value prediction further than {@code c} from where it was.
 */
public record ValueLoss(double clip) {

    /** @return the loss; {@code grad} receives dL/dvalues */
    public double apply(double[] values, double[] oldValues, double[] returns, double[] grad) {
        int n = values.length;
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double v = values[i], clipped = oldValues[i] + Math.min(Math.max(v - oldValues[i], -clip), clip);
            double a = (v - returns[i]) * (v - returns[i]), b = (clipped - returns[i]) * (clipped - returns[i]);
            loss += 0.5 * Math.max(a, b) / n;
            boolean insideClip = Math.abs(v - oldValues[i]) < clip;
            if (a >= b) grad[i] += (v - returns[i]) / n;
            else if (insideClip) grad[i] += (clipped - returns[i]) / n;
        }
        return loss;
    }
}
