package dev.tune4j.train.rl;

import dev.tune4j.generate.Generator;
import dev.tune4j.generate.Sampling;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.train.Batches;
import dev.tune4j.train.ReferenceModel;
import dev.tune4j.train.TrainConfig;
import dev.tune4j.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GRPO and PPO on a tiny random decoder with a rule for a reward (how often token 7 occurs in the
 * completion): the mean reward of fresh samples rises, while the KL to the starting policy stays bounded.
 */
class RlTrainingTest {
    static final int VOCAB = 24, TOKEN = 7, NEW = 8;

    static final RewardFunction COUNT = (prompts, completions) -> {
        double[] r = new double[completions.size()];
        for (int i = 0; i < r.length; i++) for (int id : completions.get(i)) if (id == TOKEN) r[i]++;
        return r;
    };

    private static List<int[]> prompts() {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < 8; i++) out.add(new int[] {1, 2 + i, 3 + (i * 5) % 11});
        return out;
    }

    private record Run(double before, double after, double kl) {}

    private static Run train(boolean ppo, PolicyLoss loss, int steps) {
        Transformer policy = new Transformer(TransformerConfig.llamaLike(VOCAB, 32, 2, 4, 2, 32));
        Transformer reference = new Transformer(TransformerConfig.llamaLike(VOCAB, 32, 2, 4, 2, 32)); // seeded: the same start
        reference.train(false);
        reference.freeze(n -> true);
        ValueHead value = ppo ? ValueHead.of(policy) : null;
        Sampling sampling = new Sampling(1.0, 0, 1.0, 1.0, NEW, List.of(), 0);
        Rollouts.Config config = new Rollouts.Config(4, 4, sampling, ppo ? 2 : 1, ppo, true, ppo ? 0.05 : 0.02, 0, 1.0, 0.95, 5);
        Rollouts rollouts = new Rollouts(policy, new Generator(policy, null, Set.of()), prompts(), COUNT, ReferenceModel.frozen(reference), value, config);
        List<int[]> held = prompts();
        double before = rollouts.rollout(held, 99).stats().get("reward");
        TrainConfig tc = new TrainConfig();
        tc.steps = steps;
        tc.lr = 3e-3;
        tc.schedule = "constant";
        Module trained = ppo ? value.besides(policy) : policy;
        new Trainer<>(trained, new RlObjective(policy, loss, value, new ValueLoss(0.2), 0.1), tc).fit(Batches.stream(rollouts), null, null);
        var after = rollouts.rollout(held, 99).stats();
        return new Run(before, after.get("reward"), after.get("kl"));
    }

    @Test
    void grpoRaisesTheRewardWithBoundedKl() {
        Run r = train(false, new PolicyLoss(0.2, 0.28, PolicyLoss.Aggregation.GRPO, false, 0.02, NEW), 40);
        System.out.printf("GRPO: mean reward %.3f -> %.3f (of %d tokens), KL to reference %.3f%n", r.before, r.after, NEW, r.kl);
        assertTrue(r.after > r.before + 1, "reward " + r.before + " -> " + r.after);
        assertTrue(r.kl < NEW * Math.log(VOCAB), "KL " + r.kl + " beyond a deterministic policy's against a uniform one");
    }

    @Test
    void aLargerKlCoefficientKeepsGrpoCloserToTheReference() {
        Run free = train(false, new PolicyLoss(0.2, 0.2, PolicyLoss.Aggregation.DAPO, false, 0, NEW), 25);
        Run held = train(false, new PolicyLoss(0.2, 0.2, PolicyLoss.Aggregation.DAPO, false, 1.0, NEW), 25);
        System.out.printf("GRPO (dapo) KL coefficient 0: reward %.3f, KL %.3f; coefficient 1: reward %.3f, KL %.3f%n", free.after, free.kl, held.after, held.kl);
        assertTrue(held.kl < free.kl, "KL " + held.kl + " with the penalty vs " + free.kl + " without");
    }

    @Test
    void ppoRaisesTheRewardWithBoundedKl() {
        Run r = train(true, new PolicyLoss(0.2, 0.2, PolicyLoss.Aggregation.DAPO, false, 0, NEW), 40);
        System.out.printf("PPO: mean reward %.3f -> %.3f (of %d tokens), KL to reference %.3f%n", r.before, r.after, NEW, r.kl);
        assertTrue(r.after > r.before + 1, "reward " + r.before + " -> " + r.after);
        assertTrue(r.kl < NEW * Math.log(VOCAB), "KL " + r.kl + " beyond a deterministic policy's against a uniform one");
    }
}
