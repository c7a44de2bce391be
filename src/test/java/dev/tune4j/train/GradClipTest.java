package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class GradClipTest {

    static Parameter withGrad(String name, float... grad) {
        Parameter p = new Parameter(name, Tensor.zeros(grad.length));
        System.arraycopy(grad, 0, p.gradForAccumulation(), 0, grad.length);
        return p;
    }

    @Test
    void clipsToMaxNormAndReturnsTheNormBeforeClipping() {
        Parameter a = withGrad("a", 3, 4), b = withGrad("b", 12);
        double norm = GradClip.clipGlobalNorm(List.of(a, b), 6.5);
        assertEquals(13.0, norm);
        assertArrayEquals(new float[] {1.5f, 2f}, a.grad().data());
        assertArrayEquals(new float[] {6f}, b.grad().data());
        assertEquals(6.5, GradClip.globalNorm(List.of(a, b)));
    }

    @Test
    void clippedRandomGradientsHaveNormMaxNorm() {
        SplittableRandom rng = new SplittableRandom(7);
        List<Parameter> ps = List.of(new Parameter("x", Tensor.zeros(1001)), new Parameter("y", Tensor.zeros(70_001)));
        for (Parameter p : ps) {
            float[] g = p.gradForAccumulation();
            for (int i = 0; i < g.length; i++) g[i] = (float) Tensor.gaussian(rng);
        }
        double before = GradClip.clipGlobalNorm(ps, 1.0);
        assertTrue(before > 200, "norm " + before);
        double after = GradClip.globalNorm(ps);
        assertEquals(1.0, after, 1e-6);
    }

    @Test
    void gradientsBelowMaxNormAreLeftExactlyAsTheyWere() {
        Parameter a = withGrad("a", 0.1f, -0.2f, 0.3f);
        double norm = GradClip.clipGlobalNorm(List.of(a), 1.0);
        assertEquals(Math.sqrt((double) 0.1f * 0.1f + (double) 0.2f * 0.2f + (double) 0.3f * 0.3f), norm, 1e-15);
        assertArrayEquals(new float[] {0.1f, -0.2f, 0.3f}, a.grad().data());
    }

    @Test
    void frozenMissingAndRepeatedParametersDoNotCount() {
        Parameter a = withGrad("a", 3, 4);
        Parameter frozen = withGrad("frozen", 100);
        frozen.setFrozen(true);
        Parameter noGrad = new Parameter("nograd", Tensor.zeros(3));
        assertEquals(5.0, GradClip.globalNorm(List.of(a, frozen, noGrad, a)));
    }

    @Test
    void nonFiniteGradientNamesTheFirstBadParameterAndScalesNothing() {
        Parameter ok = withGrad("encoder.ok", 30, 40);
        float[] bad = new float[9];
        bad[5] = Float.NaN;
        Parameter nan = withGrad("encoder.layer.3.weight", bad);
        Parameter inf = withGrad("encoder.layer.4.weight", 1, Float.POSITIVE_INFINITY);
        NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class,
                () -> GradClip.clipGlobalNorm(List.of(ok, nan, inf), 1.0));
        assertEquals("encoder.layer.3.weight", e.parameterName());
        assertEquals(5, e.elementIndex());
        assertTrue(e.getMessage().contains("'encoder.layer.3.weight'") && e.getMessage().contains("NaN"), e.getMessage());
        assertArrayEquals(new float[] {30, 40}, ok.grad().data());

        e = assertThrows(NonFiniteGradientException.class, () -> GradClip.globalNorm(List.of(ok, inf)));
        assertEquals("encoder.layer.4.weight", e.parameterName());
        assertEquals(Float.POSITIVE_INFINITY, e.value());
    }

    @Test
    void normIsBitwiseIdenticalForAnyThreadCount() {
        SplittableRandom rng = new SplittableRandom(8);
        Parameter p = new Parameter("w", Tensor.zeros(200_003));
        float[] g = p.gradForAccumulation();
        double plain = 0;
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) Tensor.gaussian(rng);
            plain += (double) g[i] * g[i];
        }
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            double n1 = GradClip.globalNorm(List.of(p));
            Parallel.setThreads(3);
            double n3 = GradClip.globalNorm(List.of(p));
            Parallel.setThreads(2);
            double n2 = GradClip.globalNorm(List.of(p));
            assertEquals(Double.doubleToRawLongBits(n1), Double.doubleToRawLongBits(n3));
            assertEquals(Double.doubleToRawLongBits(n1), Double.doubleToRawLongBits(n2));
            assertEquals(Math.sqrt(plain), n1, 1e-12 * n1);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void maxNormMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(List.of(), 0));
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(List.of(), Double.NaN));
    }
}
