package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.ReferenceMath;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/** GeluOp (erf, tanh), SiluOp, SwiGluOp, TanhOp. */
class ActivationOpsTest {

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1}, new int[] {37}, new int[] {3, 37}, new int[] {2, 5, 16});
    }

    /** A sweep over [lo, hi] including 0 and values around the tails. */
    private static Var sweep(float lo, float hi, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * i / (n - 1);
        return Var.constant(Tensor.of(x, n));
    }

    private static double maxRelError(Var x, Var y, DoubleUnaryOperator ref, double floor) {
        double worst = 0;
        for (int i = 0; i < x.data().length; i++) {
            double want = ref.applyAsDouble(x.data()[i]);
            worst = Math.max(worst, Math.abs(y.data()[i] - want) / Math.max(Math.abs(want), floor));
        }
        return worst;
    }

    @Test
    void geluErfMatchesAHighPrecisionErfReferenceInRelativeTermsEvenInTheLeftTail() {
        Var x = sweep(-13f, 8f, 200_001);
        double worst = maxRelError(x, GeluOp.apply(x, GeluOp.Kind.ERF), ReferenceMath::geluErf, 0);
        System.out.println("GELU erf max relative error vs float64 reference: " + worst);
        // a few float roundings (~5 ulp); the naive 0.5 x (1 + erf(x/sqrt2)) loses everything below x = -5
        assertTrue(worst < 5e-7, "GELU(erf) max relative error " + worst);
        assertEquals(0f, GeluOp.apply(Var.constant(Tensor.of(new float[] {0f}, 1)), GeluOp.Kind.ERF).data()[0]);
    }

    @Test
    void geluTanhMatchesTheTorchFormulaInFloat64() {
        Var x = sweep(-10f, 10f, 100_001);
        // Relative where |y| >= 1e-6, absolute (scaled by 1e-6) below. In the left tail y ~ x e^z with
        // z = 2 sqrt(2/pi)(x + 0.044715 x^3) down to -15 there, and the float32 rounding of z alone
        // (as in torch's float kernel) moves y by |z| * 6e-8 relative: ~1e-6, so 3e-6 is the bound.
        double worst = maxRelError(x, GeluOp.apply(x, GeluOp.Kind.TANH), ReferenceMath::geluTanh, 1e-6);
        System.out.println("GELU tanh max error vs float64 reference: " + worst);
        assertTrue(worst < 3e-6, "GELU(tanh) max error " + worst);
    }

    @Test
    void siluAndSwiGluMatchFloat64() {
        Var x = sweep(-30f, 30f, 100_001);
        double worst = maxRelError(x, SiluOp.apply(x), ReferenceMath::silu, 1e-30);
        System.out.println("SiLU max relative error vs float64 reference: " + worst);
        assertTrue(worst < 5e-7, "SiLU max relative error " + worst);
        Var up = constant(7, 2f, x.data().length);
        float[] y = SwiGluOp.apply(x, up).data();
        double[] want = new double[y.length];
        for (int i = 0; i < y.length; i++) want[i] = ReferenceMath.silu(x.data()[i]) * up.data()[i];
        assertClose(want, y, 1e-6, 1e-30, "swiglu");
    }

    @Test
    void tanhMatchesFloat64() {
        Var x = sweep(-20f, 20f, 100_001);
        double worst = maxRelError(x, TanhOp.apply(x), Math::tanh, 1e-30);
        System.out.println("tanh max relative error vs float64 reference: " + worst);
        assertTrue(worst < 2.5e-7, "tanh max relative error " + worst);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void backwardsPassGradCheck(int[] shape) {
        Var x = param(11, 1.5f, shape), g = param(12, 1.5f, shape), u = param(13, 1f, shape);
        gradCheck("GeluOp(erf)", List.of(x), in -> GeluOp.apply(in.get(0), GeluOp.Kind.ERF));
        gradCheck("GeluOp(tanh)", List.of(x), in -> GeluOp.apply(in.get(0), GeluOp.Kind.TANH));
        gradCheck("SiluOp", List.of(x), in -> SiluOp.apply(in.get(0)));
        gradCheck("SwiGluOp", List.of(g, u), in -> SwiGluOp.apply(in.get(0), in.get(1)));
        gradCheck("TanhOp", List.of(x), in -> TanhOp.apply(in.get(0)));
    }

    @Test
    void backwardsHoldInTheTailsToo() {
        float[] v = {-9f, -6f, -4f, -2.5f, 2.5f, 4f, 6f};
        for (GeluOp.Kind k : GeluOp.Kind.values()) {
            Var x = new Var(Tensor.of(v.clone(), v.length), true);
            gradCheck("GeluOp(" + k.name().toLowerCase() + ")", List.of(x), in -> GeluOp.apply(in.get(0), k));
        }
        // across the switch from the polynomial to the exp form at |x| = 0.625, and into saturation
        float[] t = {-4f, -2f, -0.7f, -0.63f, -0.62f, -0.3f, 0.01f, 0.62f, 0.63f, 0.7f, 1.5f, 3f};
        Var x = new Var(Tensor.of(t, t.length), true);
        gradCheck("TanhOp", List.of(x), in -> TanhOp.apply(in.get(0)), 1e-3, 2e-3, 200);
    }

    @Test
    void swiGluShapeMismatchNamesOpAndShapes() {
        assertShapeError(() -> SwiGluOp.apply(param(1, 1f, 2, 8), param(2, 1f, 2, 9)), "SwiGluOp", "[2, 8]", "[2, 9]");
    }

    @Test
    void frozenUpProjectionGetsNoGradientButGateDoes() {
        Var gate = param(1, 1f, 3, 20);
        Parameter up = new Parameter("up", Tensor.randn(new SplittableRandom(2), 1f, 3, 20));
        up.setFrozen(true);
        try (Tape t = Tape.record()) {
            t.backward(SumOp.apply(SwiGluOp.apply(gate, up)));
        }
        assertNull(up.grad());
        assertNotNull(gate.grad());
    }

    @Test
    void inPlaceVariantsOverwriteAScratchInputWithoutATapeAndKeepItUnderOne() {
        Var x = param(3, 1f, 5, 19), u = param(4, 1f, 5, 19);
        float[] gelu = GeluOp.apply(x, GeluOp.Kind.ERF).data(), swiglu = SwiGluOp.apply(x, u).data();
        try (Scratch scratch = Scratch.open()) {
            Var xs = ScaleOp.apply(x, 1f), us = ScaleOp.apply(u, 1f); // scratch copies
            Var g = GeluOp.applyInPlace(xs, GeluOp.Kind.ERF);
            assertSame(xs.data(), g.data(), "GELU did not work in place on a scratch input");
            assertArrayEquals(gelu, g.data());
            Var s = SwiGluOp.applyInPlace(x, us);
            assertSame(us.data(), s.data(), "SwiGLU did not work in place on a scratch up");
            assertArrayEquals(swiglu, s.data());
            try (Tape t = Tape.record()) {
                Var xt = ScaleOp.apply(x, 1f);
                float[] before = xt.data().clone();
                GeluOp.applyInPlace(xt, GeluOp.Kind.ERF);
                assertArrayEquals(before, xt.data(), "an input the backward needs was overwritten");
            }
        }
        gradCheck("GeluOp in place", List.of(x), in -> GeluOp.applyInPlace(ScaleOp.apply(in.get(0), 1f), GeluOp.Kind.TANH));
        gradCheck("SwiGluOp in place", List.of(x, u), in -> SwiGluOp.applyInPlace(in.get(0), ScaleOp.apply(in.get(1), 1f)));
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var x = param(1, 2f, 128, 1000), u = param(2, 1f, 128, 1000);
        for (GeluOp.Kind k : GeluOp.Kind.values()) assertDeterministic(List.of(x), in -> GeluOp.apply(in.get(0), k));
        assertDeterministic(List.of(x), in -> SiluOp.apply(in.get(0)));
        assertDeterministic(List.of(x), in -> TanhOp.apply(in.get(0)));
        assertDeterministic(List.of(x, u), in -> SwiGluOp.apply(in.get(0), in.get(1)));
    }
}
