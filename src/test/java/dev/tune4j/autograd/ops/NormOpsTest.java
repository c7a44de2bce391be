package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/** LayerNormOp and RmsNormOp. */
class NormOpsTest {

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1, 37}, new int[] {3, 37}, new int[] {2, 5, 16}, new int[] {4, 1}, new int[] {2, 64});
    }

    /** Float64 two-pass reference: centered = LayerNorm, else RMSNorm. */
    static double[] reference(boolean centered, float[] x, float[] g, float[] b, int dim, double eps) {
        double[] y = new double[x.length];
        for (int off = 0; off < x.length; off += dim) {
            double mu = 0;
            if (centered) {
                for (int j = 0; j < dim; j++) mu += x[off + j];
                mu /= dim;
            }
            double var = 0;
            for (int j = 0; j < dim; j++) var += (x[off + j] - mu) * (x[off + j] - mu);
            double rs = 1 / Math.sqrt(var / dim + eps);
            for (int j = 0; j < dim; j++) y[off + j] = (x[off + j] - mu) * rs * g[j] + (b == null ? 0 : b[j]);
        }
        return y;
    }

    @Test
    void layerNormAndRmsNormMatchFloat64() {
        int dim = 37;
        Var x = param(1, 2f, 5, dim), g = param(2, 1f, dim), b = param(3, 1f, dim);
        assertClose(reference(true, x.data(), g.data(), b.data(), dim, 1e-5), LayerNormOp.apply(x, g, b, 1e-5f).data(), 1e-5, 1e-6, "layernorm");
        assertClose(reference(true, x.data(), g.data(), null, dim, 1e-5), LayerNormOp.apply(x, g, null, 1e-5f).data(), 1e-5, 1e-6, "layernorm, no beta");
        assertClose(reference(false, x.data(), g.data(), null, dim, 1e-6), RmsNormOp.apply(x, g, 1e-6f).data(), 1e-5, 1e-6, "rmsnorm");
    }

    @Test
    void layerNormKeepsItsAccuracyForRowsWithALargeMean() {
        // mean 1000, std 1: E[x^2] - E[x]^2 in float32 would lose the variance to cancellation
        // (ulp(1e6) = 0.06, i.e. a ~3% error in std); the two-pass variance keeps it
        int dim = 768;
        Var x = param(4, 1f, 4, dim);
        for (int i = 0; i < x.data().length; i++) x.data()[i] += 1000f;
        Var g = Var.constant(Tensor.of(filled(dim, 1f), dim));
        double[] want = reference(true, x.data(), g.data(), null, dim, 1e-12);
        assertClose(want, LayerNormOp.apply(x, g, null, 1e-12f).data(), 0, 1e-3, "large-mean layernorm");
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void backwardsPassGradCheck(int[] shape) {
        int dim = shape[shape.length - 1];
        // inputs of unit scale keep the variance well away from eps (no loosened tolerance needed)
        Var x = param(5, 1f, shape), g = param(6, 1f, dim), b = param(7, 1f, dim);
        // With dim 1, RMSNorm is g * x / sqrt(x^2 + eps), a smoothed step at 0: keep |x| >= 0.25 so
        // the finite-difference step (1e-2) never straddles the step.
        for (int i = 0; i < x.data().length; i++) x.data()[i] += Math.copySign(0.25f, x.data()[i]);
        gradCheck("LayerNormOp", List.of(x, g, b), in -> LayerNormOp.apply(in.get(0), in.get(1), in.get(2), 1e-5f));
        gradCheck("LayerNormOp", List.of(x, g), in -> LayerNormOp.apply(in.get(0), in.get(1), null, 1e-5f));
        gradCheck("RmsNormOp", List.of(x, g), in -> RmsNormOp.apply(in.get(0), in.get(1), 1e-6f));
    }

    @Test
    void frozenMemoryMappedGammaIsReadAndGetsNoGradient() {
        int dim = 19;
        MemorySegment seg = Arena.ofAuto().allocate(dim * 2L);
        float[] gHeap = new float[dim];
        for (int j = 0; j < dim; j++) {
            short bits = DType.f32ToBf16(0.5f + j / 8f);
            seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, j, bits);
            gHeap[j] = DType.bf16ToF32(bits);
        }
        Parameter gamma = new Parameter("ln.weight", Tensor.wrap(seg, DType.BF16, dim));
        gamma.setFrozen(true);
        Parameter beta = new Parameter("ln.bias", Tensor.zeros(dim));
        beta.setFrozen(true);
        Var x = param(8, 1f, 3, dim);
        Var y;
        try (Tape t = Tape.record()) {
            y = LayerNormOp.apply(x, gamma, beta, 1e-5f);
            t.backward(SumOp.apply(MulOp.apply(y, y)));
        }
        assertClose(reference(true, x.data(), gHeap, null, dim, 1e-5), y.data(), 1e-5, 1e-6, "bf16 gamma");
        assertNull(gamma.grad());
        assertNull(beta.grad());
        assertNotNull(x.grad());
    }

    @Test
    void wrongGammaOrBetaShapesNameTheOpAndShapes() {
        Var x = param(1, 1f, 2, 8);
        assertShapeError(() -> LayerNormOp.apply(x, param(2, 1f, 7), null, 1e-5f), "LayerNormOp", "gamma", "[2, 8]", "[7]");
        assertShapeError(() -> LayerNormOp.apply(x, param(2, 1f, 8), param(3, 1f, 9), 1e-5f), "LayerNormOp", "beta", "[2, 8]", "[9]");
        assertShapeError(() -> RmsNormOp.apply(x, param(2, 1f, 2, 8), 1e-5f), "RmsNormOp", "gamma", "[2, 8]");
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var x = param(1, 1f, 128, 768), g = param(2, 1f, 768), b = param(3, 1f, 768);
        assertDeterministic(List.of(x, g, b), in -> LayerNormOp.apply(in.get(0), in.get(1), in.get(2), 1e-5f));
        assertDeterministic(List.of(x, g), in -> RmsNormOp.apply(in.get(0), in.get(1), 1e-6f));
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
