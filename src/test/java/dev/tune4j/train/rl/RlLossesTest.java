package dev.tune4j.train.rl;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ScalarLossOp;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.train.rl.PolicyLoss.Aggregation;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** GRPO's and PPO's pieces on hand-computed examples, and their gradients against finite differences. */
class RlLossesTest {
    // two sequences: tokens 0, 1 of sequence 0 (advantage 1), token 2 of sequence 1 (advantage -1); old log-probs 0
    static final double[] LOGP = {Math.log(1.5), Math.log(0.5), Math.log(1.1)};
    static final PolicyLoss.Tokens TOKENS = new PolicyLoss.Tokens(2, new int[] {0, 0, 1}, new double[3], null, new double[] {1, 1, -1});

    private static double loss(PolicyLoss p, double[] logp, PolicyLoss.Tokens t) {
        return p.apply(logp, t, new double[logp.length]).loss();
    }

    @Test
    void eachAggregationMatchesItsHandComputedValue() {
        // per-token terms: -min(1.5, 1.2) = -1.2 (clipped), -min(0.5, 0.8) = -0.5, -min(-1.1, -1.1) = 1.1
        assertEquals(0.5 * ((-1.2 - 0.5) / 2 + 1.1), loss(new PolicyLoss(0.2, 0.2, Aggregation.GRPO, false, 0, 4), LOGP, TOKENS), 1e-12);
        assertEquals((-1.2 - 0.5 + 1.1) / (2 * 4), loss(new PolicyLoss(0.2, 0.2, Aggregation.DR_GRPO, false, 0, 4), LOGP, TOKENS), 1e-12);
        assertEquals((-1.2 - 0.5 + 1.1) / 3, loss(new PolicyLoss(0.2, 0.2, Aggregation.DAPO, false, 0, 4), LOGP, TOKENS), 1e-12);
        // DAPO's clip-higher: 1 + 0.6 leaves the ratio 1.5 unclipped
        PolicyLoss.Result higher = new PolicyLoss(0.2, 0.6, Aggregation.DAPO, false, 0, 4).apply(LOGP, TOKENS, new double[3]);
        assertEquals((-1.5 - 0.5 + 1.1) / 3, higher.loss(), 1e-12);
        assertEquals(0, higher.metrics().get("clip_fraction"), 0);
    }

    @Test
    void clippedTokensPassNoGradient() {
        double[] g = new double[3];
        PolicyLoss.Result r = new PolicyLoss(0.2, 0.2, Aggregation.DAPO, false, 0, 4).apply(LOGP, TOKENS, g);
        assertEquals(1.0 / 3, r.metrics().get("clip_fraction"), 1e-12);
        assertEquals(0, g[0], 0);
        assertEquals(-0.5 / 3, g[1], 1e-12);   // d(-rho A)/dlogp = -rho A
        assertEquals(1.1 / 3, g[2], 1e-12);
    }

    @Test
    void gspoUsesOneLengthNormalisedRatioPerSequence() {
        // sequence 0: exp(mean(log 1.5, log 0.5)) = sqrt(0.75), inside the clip range; sequence 1: 1.1
        double s0 = Math.sqrt(0.75);
        assertEquals(0.5 * (-s0 + 1.1), loss(new PolicyLoss(0.2, 0.2, Aggregation.GRPO, true, 0, 4), LOGP, TOKENS), 1e-12);
        // sequence 1's ratio 0.7 with a negative advantage is clipped at 0.8: -min(-0.7, -0.8) = 0.8
        double[] low = {Math.log(1.5), Math.log(0.5), Math.log(0.7)};
        assertEquals(0.5 * (-s0 + 0.8), loss(new PolicyLoss(0.2, 0.2, Aggregation.GRPO, true, 0, 4), low, TOKENS), 1e-12);
    }

    @Test
    void theKlTermIsTheK3EstimatorTimesItsCoefficient() {
        PolicyLoss.Tokens withRef = new PolicyLoss.Tokens(2, TOKENS.row(), TOKENS.old(), new double[3], TOKENS.advantage());
        double k3 = 0;
        for (double lp : LOGP) k3 += Math.exp(-lp) + lp - 1;
        PolicyLoss p = new PolicyLoss(0.2, 0.2, Aggregation.DAPO, false, 0.1, 4);
        PolicyLoss.Result r = p.apply(LOGP, withRef, new double[3]);
        assertEquals((-1.2 - 0.5 + 1.1) / 3 + 0.1 * k3 / 3, r.loss(), 1e-12);
        assertEquals(k3 / 3, r.metrics().get("kl_k3"), 1e-12);
        PolicyLoss.Result atRef = p.apply(new double[3], withRef, new double[3]);
        assertEquals(0, atRef.metrics().get("kl_k3"), 0);
    }

    @Test
    void policyLossGradientsMatchFiniteDifferences() {
        PolicyLoss.Tokens t = new PolicyLoss.Tokens(2, new int[] {0, 0, 0, 1, 1}, new double[] {-1, -2, -0.5, -1.5, -1},
                new double[] {-1.2, -1.8, -0.7, -1.4, -0.9}, new double[] {0.7, 0.7, 0.7, -0.4, -0.4});
        float[] x = {-0.95f, -2.05f, -0.45f, -1.52f, -0.97f};  // ratios near 1: inside the clip range
        for (Aggregation a : Aggregation.values()) {
            for (boolean seq : new boolean[] {false, true}) {
                PolicyLoss p = new PolicyLoss(0.2, 0.28, a, seq, 0.05, 6);
                Var v = new Var(Tensor.of(x.clone(), 5), true);
                GradCheck.check("policy loss " + a + (seq ? " gspo" : ""), List.of(v), in -> ScalarLossOp.apply(in.get(0), (xs, g) -> p.apply(xs, t, g).loss()),
                        1e-3, 2e-3, 10);
            }
        }
    }

    @Test
    void groupAdvantagesAreNormalisedPerPrompt() {
        double[] r = {1, 2, 3, 0, 0, 0};
        double std = Math.sqrt(2.0 / 3);
        assertArrayEquals(new double[] {-1 / (std + 1e-4), 0, 1 / (std + 1e-4), 0, 0, 0}, Advantages.group(r, 3, true), 1e-12);
        assertArrayEquals(new double[] {-1, 0, 1, 0, 0, 0}, Advantages.group(r, 3, false), 1e-12);
    }

    @Test
    void gaeMatchesAHandComputedExample() {
        Advantages.Gae g = Advantages.gae(new double[] {0, 0, 1}, new double[] {0.5, 0.6, 0.7}, 1.0, 0.9);
        assertArrayEquals(new double[] {0.433, 0.37, 0.3}, g.advantages(), 1e-12);
        assertArrayEquals(new double[] {0.933, 0.97, 1.0}, g.returns(), 1e-12);
        Advantages.Gae discounted = Advantages.gae(new double[] {0, 0, 1}, new double[] {0.5, 0.6, 0.7}, 0.5, 1.0);
        assertArrayEquals(new double[] {-0.25, -0.1, 0.3}, discounted.advantages(), 1e-12);
    }

    @Test
    void valueLossIsClippedAroundTheOldPrediction() {
        double[] g = new double[1];
        // V moved 0.5 from its old 0.5, clip 0.2: the clipped prediction 0.7 is further from R = 2 and wins, with no gradient
        assertEquals(0.5 * 1.69, new ValueLoss(0.2).apply(new double[] {1.0}, new double[] {0.5}, new double[] {2.0}, g), 1e-12);
        assertEquals(0, g[0], 0);
        g[0] = 0;
        assertEquals(0.5 * 1.96, new ValueLoss(0.2).apply(new double[] {0.6}, new double[] {0.5}, new double[] {2.0}, g), 1e-12);
        assertEquals(-1.4, g[0], 1e-12);
    }
}
