package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class AdamWTest {

    static Parameter param(String name, SplittableRandom rng, int... shape) {
        return new Parameter(name, Tensor.randn(rng, 1f, shape));
    }

    static void setGrad(Parameter p, SplittableRandom rng, double scale) {
        float[] g = p.gradForAccumulation();
        for (int i = 0; i < g.length; i++) g[i] = (float) (Tensor.gaussian(rng) * scale);
    }

    /** torch.optim.AdamW's update in float64, for one parameter (w, m, v updated in place). */
    static void referenceStep(double[] w, double[] m, double[] v, float[] g, int t,
                              double lr, double wd, double b1, double b2, double eps) {
        double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < w.length; i++) {
            w[i] *= 1 - lr * wd;
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * (double) g[i] * g[i];
            w[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void matchesFloat64ReferenceOverStepsWithChangingLrAndTwoGroups() {
        SplittableRandom rng = new SplittableRandom(1);
        // Odd sizes so both the vector body and the scalar tail are exercised; one large enough to be split.
        Parameter w1 = param("layer.weight", rng, 7, 13);
        Parameter w2 = param("big.weight", rng, 301, 331);
        Parameter b1 = param("layer.bias", rng, 13);
        double wd = 0.1;
        ParamGroup decay = new ParamGroup("decay", List.of(w1, w2), 1e-2, wd);
        ParamGroup noDecay = new ParamGroup("no_decay", List.of(b1), 1e-2, 0).setBetas(0.8, 0.99).setEps(1e-6);
        AdamW opt = new AdamW(List.of(decay, noDecay));
        List<Parameter> all = List.of(w1, w2, b1);

        // Two references: one carried in float64 through all steps (drift), and one redone each step
        // from the optimizer's own float32 state, which isolates the formula of a single update.
        List<double[]> w = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
        for (Parameter p : all) {
            w.add(toDouble(p.data()));
            m.add(new double[p.data().length]);
            v.add(new double[p.data().length]);
        }
        double[] lrs = {1e-2, 3e-2, 2e-2, 5e-3, 1e-2, 4e-2, 1e-3, 2e-2};
        double maxUlps = 0, maxStateRel = 0;
        for (int t = 1; t <= lrs.length; t++) {
            decay.setLr(lrs[t - 1]);
            noDecay.setLr(lrs[t - 1] * 2);
            for (Parameter p : all) setGrad(p, rng, t % 2 == 0 ? 0.01 : 3.0);
            List<double[]> sw = new ArrayList<>(), sm = new ArrayList<>(), sv = new ArrayList<>(), before = new ArrayList<>();
            List<float[]> grads = new ArrayList<>();
            for (int k = 0; k < all.size(); k++) {
                Parameter p = all.get(k);
                ParamGroup g = k < 2 ? decay : noDecay;
                float[] g32 = p.grad().data();
                referenceStep(w.get(k), m.get(k), v.get(k), g32, t, g.lr(), g.weightDecay(), g.beta1(), g.beta2(), g.eps());
                Tensor m32 = opt.stateTensors().get("exp_avg." + p.name()), v32 = opt.stateTensors().get("exp_avg_sq." + p.name());
                sw.add(toDouble(p.data()));
                before.add(toDouble(p.data()));
                grads.add(g32);
                sm.add(m32 == null ? new double[g32.length] : toDouble(m32.data()));
                sv.add(v32 == null ? new double[g32.length] : toDouble(v32.data()));
                referenceStep(sw.get(k), sm.get(k), sv.get(k), g32, t, g.lr(), g.weightDecay(), g.beta1(), g.beta2(), g.eps());
            }
            opt.step();
            for (int k = 0; k < all.size(); k++) {
                Parameter p = all.get(k);
                float[] got = p.data(), gm = opt.stateTensors().get("exp_avg." + p.name()).data(),
                        gv = opt.stateTensors().get("exp_avg_sq." + p.name()).data();
                for (int i = 0; i < got.length; i++) {
                    // Errors are measured against the size of the terms (the old weight, the update),
                    // since a weight or m that nearly cancels to 0 has a meaningless relative error.
                    double ref = sw.get(k)[i], prev = before.get(k)[i];
                    double scale = Math.max(Math.max(Math.abs(prev), Math.abs(ref)), Math.abs(ref - prev));
                    maxUlps = Math.max(maxUlps, Math.abs(got[i] - ref) / Math.ulp((float) scale));
                    double mScale = Math.abs(sm.get(k)[i]) + Math.abs(grads.get(k)[i]);
                    maxStateRel = Math.max(maxStateRel, Math.abs(gm[i] - sm.get(k)[i]) / Math.max(mScale, 1e-30));
                    maxStateRel = Math.max(maxStateRel, Math.abs(gv[i] - sv.get(k)[i]) / Math.max(Math.abs(sv.get(k)[i]), 1e-30));
                }
            }
        }
        assertEquals(lrs.length, opt.stepCount());

        double maxAbs = 0;
        for (int k = 0; k < all.size(); k++) {
            float[] got = all.get(k).data();
            for (int i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i] - w.get(k)[i]));
        }
        System.out.printf("ADAMW vs float64 reference: per-step weight error max %.3f ulp (of max(|w|, |update|)), per-step m/v max rel diff %.3g, "
                + "after %d steps max abs diff %.3g%n", maxUlps, maxStateRel, lrs.length, maxAbs);
        // About seven float32 roundings lie between the inputs and the new weight (m, sqrt, /, +eps, /,
        // step size, the final fma), each up to half an ulp of its value: a few ulps in all.
        assertTrue(maxUlps <= 5.0, "per-step weight error " + maxUlps + " ulp");
        assertTrue(maxStateRel < 1e-6, "per-step m/v rel diff " + maxStateRel);
        assertTrue(maxAbs < 2e-6, "max abs diff after all steps " + maxAbs);
    }

    @Test
    void biasCorrectionMakesTheFirstStepMoveEachWeightByLr() {
        // At t=1: m/(1-b1) = g and sqrt(v/(1-b2)) = |g|, so each weight moves by lr*sign(g) whatever
        // the gradient's size. Without bias correction it would move by lr*0.1/sqrt(0.001) = 3.16 lr.
        float[] grads = {1e-3f, -0.5f, 5f, -200f, 7e-2f};
        Parameter p = new Parameter("w", Tensor.zeros(2, 5));
        float[] g = p.gradForAccumulation();
        for (int i = 0; i < 10; i++) g[i] = grads[i % 5];
        double lr = 0.01;
        new AdamW(List.of(new ParamGroup("all", List.of(p), lr, 0))).step();
        for (int i = 0; i < 10; i++) {
            assertEquals(-Math.signum(g[i]) * lr, p.data()[i], lr * 1e-4, "element " + i);
        }
    }

    @Test
    void frozenParametersAndParametersWithoutGradientAreUntouched() {
        SplittableRandom rng = new SplittableRandom(2);
        Parameter trained = param("trained.weight", rng, 4, 5);
        Parameter frozen = param("frozen.weight", rng, 4, 5);
        Parameter unused = param("unused.weight", rng, 3);
        setGrad(frozen, rng, 1);
        frozen.setFrozen(true); // drops the gradient
        float[] frozenBefore = frozen.data().clone(), unusedBefore = unused.data().clone();
        AdamW opt = new AdamW(List.of(new ParamGroup("all", List.of(trained, frozen, unused), 0.01, 0.1)));
        for (int t = 0; t < 5; t++) {
            setGrad(trained, rng, 1);
            opt.step();
        }
        assertArrayEquals(frozenBefore, frozen.data());
        assertArrayEquals(unusedBefore, unused.data());
        assertNull(frozen.grad());
        assertEquals(List.of("exp_avg.trained.weight", "exp_avg_sq.trained.weight"), List.copyOf(opt.stateTensors().keySet()));

        // Unfrozen later, its bias correction starts from its own first step (moves by lr, not less).
        frozen.setFrozen(false);
        float[] fg = frozen.gradForAccumulation();
        java.util.Arrays.fill(fg, 2f);
        ParamGroup group = opt.groups().get(0);
        group.setWeightDecay(0);
        opt.step();
        for (int i = 0; i < fg.length; i++) assertEquals(frozenBefore[i] - 0.01, frozen.data()[i], 1e-6);
        assertEquals(1, opt.stateScalars().get("param_step.frozen.weight"));
        assertEquals(6, opt.stateScalars().get("param_step.trained.weight"));
    }

    @Test
    void weightDecayScalesOnlyTheDecayGroup() {
        // With zero gradients the Adam term is exactly 0, leaving only the decoupled decay p *= 1 - lr*wd.
        SplittableRandom rng = new SplittableRandom(3);
        Parameter w = param("dense.weight", rng, 6, 7);
        Parameter b = param("dense.bias", rng, 7);
        w.gradForAccumulation();
        b.gradForAccumulation();
        float[] w0 = w.data().clone(), b0 = b.data().clone();
        double lr = 0.05, wd = 0.2;
        List<ParamGroup> groups = ParamGroups.build(List.of(w, b), lr, wd);
        new AdamW(groups).step();
        float factor = (float) (1 - lr * wd);
        for (int i = 0; i < w0.length; i++) assertEquals(w0[i] * factor, w.data()[i], 0f);
        assertArrayEquals(b0, b.data());
    }

    @Test
    void resultIsBitwiseIdenticalForAnyThreadCount() {
        int before = Parallel.threads();
        try {
            float[] first = null;
            for (int threads : new int[] {1, 3, 2, 3}) {
                Parallel.setThreads(threads);
                SplittableRandom rng = new SplittableRandom(4);
                Parameter p = param("w", rng, 100_003); // splits into chunks whose ends fall mid-vector
                AdamW opt = new AdamW(List.of(new ParamGroup("all", List.of(p), 0.01, 0.01)));
                for (int t = 0; t < 3; t++) {
                    setGrad(p, rng, 1);
                    opt.step();
                }
                if (first == null) first = p.data().clone();
                else assertArrayEquals(first, p.data(), "threads=" + threads);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void vectorBodyAndScalarTailComputeTheSameBits() {
        int n = 2 * FloatVector.SPECIES_PREFERRED.length() + 3;
        float[] w = new float[n], g = new float[n], m = new float[n], v = new float[n];
        java.util.Arrays.fill(w, 0.7f);
        java.util.Arrays.fill(g, -0.3f);
        java.util.Arrays.fill(m, 0.11f);
        java.util.Arrays.fill(v, 0.013f);
        AdamW.kernel(w, g, m, v, 0, n, 0.999f, 0.1f, 0.999f, 0.001f, 0.2f, 1e-8f, -0.003f);
        for (int i = 1; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(w[0]), Float.floatToRawIntBits(w[i]), "w at " + i);
            assertEquals(Float.floatToRawIntBits(m[0]), Float.floatToRawIntBits(m[i]), "m at " + i);
            assertEquals(Float.floatToRawIntBits(v[0]), Float.floatToRawIntBits(v[i]), "v at " + i);
        }
    }

    @Test
    void sameParameterInTwoGroupsIsRejected() {
        Parameter p = new Parameter("w", Tensor.zeros(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new AdamW(List.of(new ParamGroup("a", List.of(p), 1, 0), new ParamGroup("b", List.of(p), 1, 0))));
        assertTrue(e.getMessage().contains("'w' is listed twice"), e.getMessage());
    }
}
