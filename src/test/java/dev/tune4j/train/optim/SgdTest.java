package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SgdTest {

    /** torch.optim.SGD in float64 over several steps; returns the final weights. */
    static double[] reference(float[] w0, float[][] grads, double[] lrs, double wd, double momentum, double dampening, boolean nesterov) {
        double[] w = AdamWTest.toDouble(w0), buf = new double[w0.length];
        for (int t = 0; t < grads.length; t++) {
            for (int i = 0; i < w.length; i++) {
                double d = grads[t][i] + wd * w[i];
                if (momentum != 0) {
                    buf[i] = t == 0 ? d : momentum * buf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                w[i] -= lrs[t] * d;
            }
        }
        return w;
    }

    void checkAgainstReference(double momentum, double dampening, boolean nesterov, double wd) {
        SplittableRandom rng = new SplittableRandom(11);
        Parameter p = new Parameter("w", Tensor.randn(rng, 1f, 37, 3));
        float[] w0 = p.data().clone();
        double[] lrs = {0.1, 0.05, 0.2, 0.01, 0.1};
        float[][] grads = new float[lrs.length][];
        ParamGroup group = new ParamGroup("all", List.of(p), 0.1, wd);
        Sgd opt = new Sgd(List.of(group), momentum, dampening, nesterov);
        for (int t = 0; t < lrs.length; t++) {
            grads[t] = Tensor.randn(rng, 1f, 37, 3).data();
            System.arraycopy(grads[t], 0, p.gradForAccumulation(), 0, grads[t].length);
            group.setLr(lrs[t]);
            opt.step();
        }
        double[] ref = reference(w0, grads, lrs, wd, momentum, dampening, nesterov);
        double maxAbs = 0;
        for (int i = 0; i < ref.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ref[i] - p.data()[i]));
        System.out.printf("SGD momentum=%s dampening=%s nesterov=%s wd=%s vs float64 reference: max_abs_diff=%.3g%n",
                momentum, dampening, nesterov, wd, maxAbs);
        assertTrue(maxAbs < 2e-6, "max abs diff " + maxAbs);
    }

    @Test
    void momentumMatchesFloat64Reference() {
        checkAgainstReference(0.9, 0, false, 0);
    }

    @Test
    void nesterovWithCoupledWeightDecayMatchesFloat64Reference() {
        checkAgainstReference(0.9, 0, true, 0.01);
    }

    @Test
    void dampenedMomentumStartsFromTheUndampenedGradient() {
        checkAgainstReference(0.5, 0.3, false, 0.05);
    }

    @Test
    void plainSgdMovesByLrTimesGradient() {
        checkAgainstReference(0, 0, false, 0);
        Parameter p = new Parameter("w", Tensor.of(new float[] {1, 2}, 2));
        p.gradForAccumulation()[0] = 4;
        p.gradForAccumulation()[1] = -2;
        new Sgd(List.of(new ParamGroup("all", List.of(p), 0.25, 0)), 0).step();
        assertArrayEquals(new float[] {0, 2.5f}, p.data());
        assertArrayEquals(new float[] {4, -2}, p.grad().data(), "the gradient buffer must not be modified");
    }

    @Test
    void nesterovWithoutMomentumIsRejected() {
        Parameter p = new Parameter("w", Tensor.zeros(2));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(new ParamGroup("all", List.of(p), 0.1, 0)), 0, 0, true));
    }
}
