package dev.tune4j.train.rl;

/**
 * Advantages of sampled completions. GRPO compares each of a prompt's k samples with its group:
 * {@code A_i = (r_i - mean) / (std + eps)} (Dr. GRPO drops the division by std, which favours
 * groups whose rewards barely differ). PPO's come from a value model by generalised advantage
 * estimation (GAE) over the tokens of a completion.
 */
public final class Advantages {
    private Advantages() {}

    static final double EPS = 1e-4;

    /**
     * @param rewards one per sample, groups of {@code groupSize} consecutive samples per prompt
     * @param scaleByStd divide by the group's standard deviation (population std, as TRL)
     */
    public static double[] group(double[] rewards, int groupSize, boolean scaleByStd) {
        if (groupSize < 1 || rewards.length % groupSize != 0) throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + groupSize);
        double[] out = new double[rewards.length];
        for (int g = 0; g < rewards.length; g += groupSize) {
            double mean = 0, var = 0;
            for (int i = g; i < g + groupSize; i++) mean += rewards[i] / groupSize;
            for (int i = g; i < g + groupSize; i++) var += (rewards[i] - mean) * (rewards[i] - mean) / groupSize;
            double scale = scaleByStd ? 1 / (Math.sqrt(var) + EPS) : 1;
            for (int i = g; i < g + groupSize; i++) out[i] = (rewards[i] - mean) * scale;
        }
        return out;
    }

    /** GAE's advantages and the value targets (returns = advantages + values) of one completion. */
    public record Gae(double[] advantages, double[] returns) {}

    /**
     * <pre>
     *   delta_t = r_t + gamma * V_{t+1} - V_t          (V past the last token = 0)
     *   A_t     = delta_t + gamma * lambda * A_{t+1}
     * </pre>
     */
    public static Gae gae(double[] rewards, double[] values, double gamma, double lambda) {
        int n = rewards.length;
        if (values.length != n) throw new IllegalArgumentException(n + " rewards for " + values.length + " values");
        double[] adv = new double[n], ret = new double[n];
        double next = 0, running = 0;
        for (int t = n - 1; t >= 0; t--) {
            double delta = rewards[t] + gamma * next - values[t];
            running = delta + gamma * lambda * running;
            adv[t] = running;
            ret[t] = running + values[t];
            next = values[t];
        }
        return new Gae(adv, ret);
    }

    /** Whitening over a batch's tokens (PPO): zero mean and unit variance where mask is set. */
    public static void whiten(double[] values, boolean[] mask) {
        double mean = 0, var = 0;
        int n = 0;
        for (int i = 0; i < values.length; i++) if (mask[i]) { mean += values[i]; n++; }
        if (n == 0) return;
        mean /= n;
        for (int i = 0; i < values.length; i++) if (mask[i]) var += (values[i] - mean) * (values[i] - mean);
        double scale = 1 / (Math.sqrt(var / n) + 1e-8);
        for (int i = 0; i < values.length; i++) if (mask[i]) values[i] = (values[i] - mean) * scale;
    }
}
