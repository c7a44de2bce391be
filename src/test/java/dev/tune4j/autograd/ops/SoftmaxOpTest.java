package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class SoftmaxOpTest {

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1}, new int[] {37}, new int[] {3, 37}, new int[] {2, 5, 16}, new int[] {4, 1});
    }

    static double[] reference(float[] x, int dim) {
        double[] y = new double[x.length];
        for (int off = 0; off < x.length; off += dim) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < dim; j++) max = Math.max(max, x[off + j]);
            for (int j = 0; j < dim; j++) sum += Math.exp(x[off + j] - max);
            for (int j = 0; j < dim; j++) y[off + j] = Math.exp(x[off + j] - max) / sum;
        }
        return y;
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void rowsMatchFloat64SumToOneAndPassGradCheck(int[] shape) {
        int dim = shape[shape.length - 1];
        Var x = param(1, 3f, shape);
        float[] y = SoftmaxOp.apply(x).data();
        assertClose(reference(x.data(), dim), y, 1e-6, 1e-9, "softmax");
        for (int off = 0; off < y.length; off += dim) {
            double s = 0;
            for (int j = 0; j < dim; j++) s += y[off + j];
            assertEquals(1.0, s, 1e-6);
        }
        gradCheck("SoftmaxOp", List.of(x), in -> SoftmaxOp.apply(in.get(0)));
    }

    @Test
    void hugeAndInfiniteLogitsNeitherOverflowNorProduceNaN() {
        float[] x = {1e4f, 1e4f - 1f, -1e4f, 0f, 3e38f, 3e38f, -3e38f, Float.NEGATIVE_INFINITY, 50f, 49f, Float.NEGATIVE_INFINITY, 48f};
        float[] y = SoftmaxOp.apply(Var.constant(Tensor.of(x, 3, 4))).data();
        for (float v : y) assertTrue(Float.isFinite(v), java.util.Arrays.toString(y));
        assertClose(new double[] {1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1)), 0, 0}, java.util.Arrays.copyOf(y, 4), 1e-6, 1e-12, "1e4 row");
        assertArrayEquals(new float[] {0.5f, 0.5f, 0f, 0f}, java.util.Arrays.copyOfRange(y, 4, 8));
        assertClose(reference(new float[] {50f, 49f, Float.NEGATIVE_INFINITY, 48f}, 4), java.util.Arrays.copyOfRange(y, 8, 12), 1e-6, 1e-12, "-inf row");
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var x = param(1, 3f, 256, 300);
        assertDeterministic(List.of(x), in -> SoftmaxOp.apply(in.get(0)));
    }
}
