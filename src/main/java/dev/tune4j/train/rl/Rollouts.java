package dev.tune4j.train.rl;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.generate.Generator;
import dev.tune4j.generate.Sampling;
import dev.tune4j.nn.Transformer;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.ReferenceModel;
import dev.tune4j.train.SequenceLogProbs;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The RL loop's data: an endless stream of rollout batches for the trainer. Each new batch samples
 * {@code samples} completions for each of the next {@code prompts} prompts from the current policy
 * (KV cache, temperature/top-p, no tape, dropout off), scores them with the {@link RewardFunction},
 * records the policy's and the reference's per-token log-probabilities and computes advantages:
 * GRPO's group-normalised ones (no value model; KL is a loss term), or PPO's GAE over per-token
 * rewards {@code -kl_coef * (logp - ref)} plus the sequence's reward on its last token, whitened.
 * Each batch is served {@code epochs} times (PPO's several passes over a rollout) before the next
 * is sampled. PPO's KL coefficient is fixed, or adapted after every rollout towards {@code klTarget}
 * (Ziegler et al.'s proportional controller: {@code coef *= 1 + 0.1 * clip(kl / target - 1, -0.2, 0.2)}).
 */
public final class Rollouts implements Iterator<RlBatch> {

    /**
     * @param ppo         PPO (a value head, GAE, KL in the reward) instead of GRPO
     * @param scaleByStd  GRPO: divide advantages by the group's std (false: Dr. GRPO)
     */
    public record Config(int prompts, int samples, Sampling sampling, int epochs, boolean ppo, boolean scaleByStd, double klCoef,
                         double klTarget, double gamma, double lambda, long seed) {}

    private final Transformer policy;
    private final Generator generator;
    private final List<int[]> prompts;
    private final RewardFunction reward;
    private final ReferenceModel reference;
    private final ValueHead value;
    private final Config config;
    private double klCoef;
    private int cursor, round, served;
    private RlBatch current;

    /** @param value PPO's value head (null for GRPO) */
    public Rollouts(Transformer policy, Generator generator, List<int[]> prompts, RewardFunction reward, ReferenceModel reference,
                    ValueHead value, Config config) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("RL needs at least one prompt");
        if (config.ppo() && value == null) throw new IllegalArgumentException("PPO needs a value head");
        this.policy = policy;
        this.generator = generator;
        this.prompts = List.copyOf(prompts);
        this.reward = reward;
        this.reference = reference;
        this.value = value;
        this.config = config;
        this.klCoef = config.klCoef();
    }

    @Override
    public boolean hasNext() { return true; }

    @Override
    public RlBatch next() {
        if (current == null || served == config.epochs()) {
            List<int[]> batch = new ArrayList<>();
            for (int i = 0; i < config.prompts(); i++) batch.add(prompts.get(cursor++ % prompts.size()));
            current = rollout(batch, config.seed() + 7919L * round++);
            served = 0;
        }
        served++;
        return current;
    }

    /** The KL coefficient the next PPO rollout uses. */
    public double klCoef() { return klCoef; }

    /**
     * Samples and scores completions for {@code batch} (each repeated {@code samples} times) with
     * the policy as it is now.
     */
    public RlBatch rollout(List<int[]> batch, long seed) {
        boolean wasTraining = policy.isTraining();
        policy.train(false);
        try {
            List<int[]> expanded = new ArrayList<>();
            for (int[] p : batch) for (int k = 0; k < config.samples(); k++) expanded.add(p);
            Sampling s = config.sampling();
            Sampling seeded = new Sampling(s.temperature(), s.topK(), s.topP(), s.repetitionPenalty(), s.maxNewTokens(), s.stopStrings(), seed);
            List<int[]> completions = new ArrayList<>();
            for (Generator.Result r : generator.generate(expanded, seeded, null)) completions.add(r.ids());
            return score(expanded, completions);
        } finally {
            policy.train(wasTraining);
        }
    }

    private RlBatch score(List<int[]> prompts, List<int[]> completions) {
        int n = prompts.size();
        LmBatch batch = SequenceLogProbs.batch(policy.config.vocabSize, prompts, completions);
        int t = batch.tokens().seq();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < batch.targets().length; i++) if (batch.targets()[i] != LmBatch.IGNORE) at.add(i);
        int[] positions = at.stream().mapToInt(Integer::intValue).toArray();
        int m = positions.length;
        int[] row = new int[m];
        for (int j = 0; j < m; j++) row[j] = positions[j] / t;
        float[] oldAll = SequenceLogProbs.tokens(policy, batch), refAll = reference == null ? null : reference.tokenLogProbs(batch);
        double[] old = new double[m], ref = refAll == null ? null : new double[m];
        for (int j = 0; j < m; j++) {
            old[j] = oldAll[positions[j]];
            if (ref != null) ref[j] = refAll[positions[j]];
        }
        double[] rewards = reward.score(prompts, completions);
        if (rewards.length != n) throw new IllegalStateException("the reward function gave " + rewards.length + " rewards for " + n + " samples");

        Map<String, Double> stats = new LinkedHashMap<>();
        double meanReward = 0, kl = 0, entropy = 0;
        for (double r : rewards) meanReward += r / n;
        double var = 0;
        for (double r : rewards) var += (r - meanReward) * (r - meanReward) / n;
        double[] seqKl = new double[n];
        for (int j = 0; j < m; j++) {
            if (ref != null) seqKl[row[j]] += old[j] - ref[j];
            entropy -= old[j] / m;
        }
        for (double k : seqKl) kl += k / n;
        stats.put("reward", meanReward);
        stats.put("reward_std", Math.sqrt(var));
        if (ref != null) stats.put("kl", kl);
        stats.put("entropy", entropy);  // the sampled tokens' mean surprisal: a one-sample estimate of the policy's entropy
        stats.put("completion_tokens", (double) m / n);

        double[] advantage = new double[m], oldValues = null, returns = null;
        if (!config.ppo()) {
            double[] a = Advantages.group(rewards, config.samples(), config.scaleByStd());
            for (int j = 0; j < m; j++) advantage[j] = a[row[j]];
        } else {
            oldValues = values(batch, positions);
            returns = new double[m];
            stats.put("kl_coef", klCoef);
            for (int i = 0, j = 0; i < n; i++) {
                int start = j;
                while (j < m && row[j] == i) j++;
                int len = j - start;
                double[] r = new double[len], v = new double[len];
                for (int k = 0; k < len; k++) {
                    r[k] = ref == null ? 0 : -klCoef * (old[start + k] - ref[start + k]);
                    v[k] = oldValues[start + k];
                }
                if (len > 0) r[len - 1] += rewards[i];
                Advantages.Gae g = Advantages.gae(r, v, config.gamma(), config.lambda());
                System.arraycopy(g.advantages(), 0, advantage, start, len);
                System.arraycopy(g.returns(), 0, returns, start, len);
            }
            boolean[] all = new boolean[m];
            java.util.Arrays.fill(all, true);
            Advantages.whiten(advantage, all);
            if (config.klTarget() > 0) klCoef *= 1 + 0.1 * Math.max(-0.2, Math.min(0.2, kl / config.klTarget() - 1));
        }
        return new RlBatch(batch, positions, new PolicyLoss.Tokens(n, row, old, ref, advantage), oldValues, returns, stats);
    }

    /** The value head's estimates at the completion positions, without a tape. */
    private double[] values(LmBatch batch, int[] positions) {
        try (Scratch scratch = Scratch.open()) {
            float[] v = value.forward(policy.hidden(batch.tokens())).value().toHeap().data();
            double[] out = new double[positions.length];
            for (int j = 0; j < positions.length; j++) out[j] = v[positions[j]];
            return out;
        }
    }
}
