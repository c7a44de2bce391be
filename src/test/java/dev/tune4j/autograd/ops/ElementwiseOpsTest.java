package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/** AddOp, MulOp, ScaleOp, ReshapeOp, SumOp, MeanOp. */
class ElementwiseOpsTest {

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1}, new int[] {37}, new int[] {3, 37}, new int[] {2, 5, 16}, new int[] {4, 1});
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void addMulScaleMatchPlainLoopsAndPassGradCheck(int[] shape) {
        Var a = param(1, 1f, shape), b = param(2, 1f, shape);
        float[] ad = a.data(), bd = b.data();
        double[] sum = new double[ad.length], prod = new double[ad.length], scaled = new double[ad.length];
        for (int i = 0; i < ad.length; i++) {
            sum[i] = (double) ad[i] + bd[i];
            prod[i] = (double) ad[i] * bd[i];
            scaled[i] = -2.5 * ad[i];
        }
        assertClose(sum, AddOp.apply(a, b).data(), 1e-7, 0, "add");
        assertClose(prod, MulOp.apply(a, b).data(), 1e-7, 0, "mul");
        assertClose(scaled, ScaleOp.apply(a, -2.5f).data(), 1e-7, 0, "scale");
        gradCheck("AddOp", List.of(a, b), in -> AddOp.apply(in.get(0), in.get(1)));
        gradCheck("MulOp", List.of(a, b), in -> MulOp.apply(in.get(0), in.get(1)));
        gradCheck("ScaleOp", List.of(a), in -> ScaleOp.apply(in.get(0), -2.5f));
    }

    @Test
    void addingAVarToItselfDoublesItsGradient() {
        Var a = param(3, 1f, 7);
        gradCheck("AddOp", List.of(a), in -> AddOp.apply(in.get(0), in.get(0)));
        gradCheck("MulOp", List.of(a), in -> MulOp.apply(in.get(0), in.get(0)));
    }

    @Test
    void reshapeSharesStorageInfersMinusOneAndPassesGradientThrough() {
        Var x = param(4, 1f, 2, 3, 5);
        Var y = ReshapeOp.apply(x, 6, -1);
        assertArrayEquals(new int[] {6, 5}, y.shape());
        assertSame(x.data(), y.data());
        gradCheck("ReshapeOp", List.of(x), in -> ReshapeOp.apply(in.get(0), 5, 6));
        gradCheck("ReshapeOp", List.of(x), in -> ReshapeOp.apply(in.get(0), -1));
    }

    @Test
    void sumAndMeanMatchFloat64AndPassGradCheck() {
        for (int[] shape : new int[][] {{1}, {37}, {3, 37}, {100_003}}) {
            Var x = param(5, 1f, shape);
            double s = 0, abs = 0;
            for (float v : x.data()) {
                s += v;
                abs += Math.abs(v);
            }
            Var sum = SumOp.apply(x), mean = MeanOp.apply(x);
            assertEquals(0, sum.shape().length, "scalar shape []");
            // float32 partial sums of 1024-element blocks, added in float64: error well below 1e-7 of sum |x|
            assertEquals(s, sum.data()[0], 1e-7 * abs);
            assertEquals(s / x.data().length, mean.data()[0], 1e-7 * abs / x.data().length);
            gradCheck("SumOp", List.of(x), in -> SumOp.apply(in.get(0)), 1e-2, 2e-3, 50);
            gradCheck("MeanOp", List.of(x), in -> MeanOp.apply(in.get(0)), 1e-2, 2e-3, 50);
        }
    }

    @Test
    void shapeMismatchesNameTheOpAndBothShapes() {
        Var a = param(1, 1f, 2, 3), b = param(2, 1f, 3, 2);
        assertShapeError(() -> AddOp.apply(a, b), "AddOp", "[2, 3]", "[3, 2]");
        assertShapeError(() -> MulOp.apply(a, b), "MulOp", "[2, 3]", "[3, 2]");
        assertShapeError(() -> ReshapeOp.apply(a, 4, 2), "ReshapeOp", "[2, 3]", "[4, 2]");
        assertShapeError(() -> ReshapeOp.apply(a, -1, -1), "ReshapeOp", "more than one -1");
    }

    @Test
    void frozenAndConstantInputsReceiveNoGradient() {
        Parameter frozen = new Parameter("w", Tensor.randn(new SplittableRandom(1), 1f, 4, 5));
        frozen.setFrozen(true);
        Var c = constant(2, 1f, 4, 5), x = param(3, 1f, 4, 5);
        try (Tape tape = Tape.record()) {
            Var y = SumOp.apply(MulOp.apply(AddOp.apply(x, frozen), MulOp.apply(frozen, c)));
            tape.backward(y);
        }
        assertNull(frozen.grad());
        assertNull(c.grad());
        assertNotNull(x.grad());
        // with nothing trainable, nothing is recorded at all
        try (Tape tape = Tape.record()) {
            Var y = MulOp.apply(frozen, c);
            assertFalse(y.requiresGrad());
            assertEquals(0, tape.size());
        }
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var a = param(1, 1f, 300, 257), b = param(2, 1f, 300, 257);
        assertDeterministic(List.of(a, b), in -> MulOp.apply(AddOp.apply(in.get(0), in.get(1)), ScaleOp.apply(in.get(1), 0.3f)));
        assertDeterministic(List.of(a), in -> ScaleOp.apply(SumOp.apply(in.get(0)), 1f));
        assertDeterministic(List.of(a), in -> MeanOp.apply(in.get(0)));
    }
}
