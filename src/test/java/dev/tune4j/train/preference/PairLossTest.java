package dev.tune4j.train.preference;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ScalarLossOp;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each pair loss on a hand-computed example, at step 0 (policy == reference), in extremes, and its gradient. */
class PairLossTest {
    // one pair: policy chosen -4, rejected -6; reference -5, -5; chosen 2 tokens, rejected 3
    static final double[] SCORES = {-4, -6}, REF = {-5, -5};
    static final int[] LENGTHS = {2, 3};

    private static PairLoss.Result run(PairLoss loss, double[] scores) {
        return loss.apply(scores, LENGTHS, REF, new double[scores.length]);
    }

    @Test
    void dpoSigmoidAtStepZeroIsLog2WithZeroMargin() {
        PairLoss.Result r = PairLoss.dpo(0.1, 0).apply(REF.clone(), LENGTHS, REF, new double[2]);
        assertEquals(Math.log(2), r.loss(), 1e-12);
        assertEquals(0, r.metrics().get("margin"), 0);
        assertEquals(0, r.metrics().get("accuracy"), 0);
    }

    @Test
    void ipoAtStepZeroIsOneOverTwoBetaSquared() {
        double beta = 0.25;
        PairLoss.Result r = PairLoss.ipo(beta).apply(REF.clone(), LENGTHS, REF, new double[2]);
        assertEquals(Math.pow(1 / (2 * beta), 2), r.loss(), 1e-12);
    }

    @Test
    void dpoMatchesAHandComputedValue() {
        // h = 0.5 * ((-4 + 5) - (-6 + 5)) = 1; loss = -(0.9 log s(1)) - 0.1 log s(-1)
        PairLoss.Result r = run(PairLoss.dpo(0.5, 0.1), SCORES);
        double s = 1 / (1 + Math.exp(-1));
        assertEquals(-0.9 * Math.log(s) - 0.1 * Math.log(1 - s), r.loss(), 1e-12);
        assertEquals(0.5, r.metrics().get("rewards/chosen"), 1e-12);
        assertEquals(-0.5, r.metrics().get("rewards/rejected"), 1e-12);
        assertEquals(1, r.metrics().get("margin"), 1e-12);
        assertEquals(1, r.metrics().get("accuracy"), 0);
    }

    @Test
    void ipoMatchesAHandComputedValue() {
        // h = 2; (2 - 1/(2*0.5))^2 = 1
        assertEquals(1, run(PairLoss.ipo(0.5), SCORES).loss(), 1e-12);
    }

    @Test
    void simpoMatchesAHandComputedValue() {
        // mean log-probs -2 and -2: h = 2 * 0 - 0.5; loss = -log s(-0.5)
        PairLoss.Result r = run(PairLoss.simpo(2, 0.5, 0), SCORES);
        assertEquals(Math.log1p(Math.exp(0.5)), r.loss(), 1e-12);
        assertEquals(-4, r.metrics().get("rewards/chosen"), 1e-12);
    }

    @Test
    void orpoMatchesAHandComputedValue() {
        // mc = -2, mr = -2: log odds equal, h = 0: loss = 2 - lambda * log(1/2)
        assertEquals(2 + 0.3 * Math.log(2), run(PairLoss.orpo(0.3), SCORES).loss(), 1e-12);
        // mc = -0.5 (6 tokens... here 2 tokens, sum -1), mr = -2
        double mc = -0.5, mr = -2;
        double h = (mc - Math.log(1 - Math.exp(mc))) - (mr - Math.log(1 - Math.exp(mr)));
        double expected = 0.5 + 0.3 * Math.log1p(Math.exp(-h));
        assertEquals(expected, run(PairLoss.orpo(0.3), new double[] {-1, -6}).loss(), 1e-12);
    }

    @Test
    void bradleyTerryMatchesAHandComputedValueWithAMargin() {
        // h = 1.5 - (-0.5) - 1 = 1
        PairLoss.Result r = PairLoss.bradleyTerry(1).apply(new double[] {1.5, -0.5}, null, null, new double[2]);
        assertEquals(Math.log1p(Math.exp(-1)), r.loss(), 1e-12);
        assertEquals(2, r.metrics().get("margin"), 1e-12);
    }

    @Test
    void extremeMarginsGiveFiniteLossesAndGradients() {
        for (PairLoss loss : List.of(PairLoss.dpo(1, 0.1), PairLoss.simpo(2, 1, 0), PairLoss.bradleyTerry(0), PairLoss.orpo(1))) {
            for (double[] s : List.of(new double[] {-1e-9, -2000}, new double[] {-2000, -1e-9})) {
                double[] g = new double[2];
                PairLoss.Result r = loss.apply(s, LENGTHS, new double[] {0, 0}, g);
                assertTrue(Double.isFinite(r.loss()) && Double.isFinite(g[0]) && Double.isFinite(g[1]), loss.kind() + ": " + r.loss());
            }
        }
    }

    @Test
    void everyLossGradientMatchesFiniteDifferences() {
        // two pairs, scores [c0, c1, r0, r1]
        float[] scores = {-3.2f, -5.1f, -4.0f, -4.6f};
        int[] lengths = {3, 4, 2, 5};
        double[] ref = {-3.5, -4.9, -3.8, -5.0};
        for (PairLoss loss : List.of(PairLoss.dpo(0.7, 0.2), PairLoss.ipo(0.4), PairLoss.simpo(2.5, 0.3, 0.1), PairLoss.orpo(0.5),
                PairLoss.bradleyTerry(0.2))) {
            Var x = new Var(Tensor.of(scores.clone(), 4), true);
            GradCheck.check("pair loss " + loss.kind().id, List.of(x), in -> ScalarLossOp.apply(in.get(0), (v, g) -> loss.apply(v, lengths, ref, g).loss()));
        }
    }
}
