package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** AddNormOp: the residual add fused into LayerNorm or RMSNorm, both outputs differentiable. */
class AddNormOpTest {

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1, 37}, new int[] {3, 37}, new int[] {2, 5, 16}, new int[] {2, 64});
    }

    /** Post-norm: only y goes on. */
    static Var postNorm(boolean centered, List<Var> in) {
        return AddNormOp.normOfSum(centered, in.get(0), in.get(1), in.get(2), beta(centered, in), eps(centered));
    }

    /** Pre-norm: both go on (sum as the residual stream), here multiplied so each gets its own gradient. */
    static Var preNorm(boolean centered, List<Var> in) {
        AddNormOp.Result r = AddNormOp.apply(centered, in.get(0), in.get(1), in.get(2), beta(centered, in), eps(centered));
        return MulOp.apply(r.sum(), r.y());
    }

    static Var beta(boolean centered, List<Var> in) {
        return centered && in.size() > 3 ? in.get(3) : null;
    }

    static float eps(boolean centered) {
        return centered ? 1e-5f : 1e-6f;
    }

    /** The unfused reference: AddOp, then LayerNormOp or RmsNormOp. */
    static Var preNormUnfused(boolean centered, List<Var> in) {
        Var sum = AddOp.apply(in.get(0), in.get(1));
        Var y = centered ? LayerNormOp.apply(sum, in.get(2), in.get(3), 1e-5f) : RmsNormOp.apply(sum, in.get(2), 1e-6f);
        return MulOp.apply(sum, y);
    }

    static Var postNormUnfused(boolean centered, List<Var> in) {
        Var sum = AddOp.apply(in.get(0), in.get(1));
        return centered ? LayerNormOp.apply(sum, in.get(2), in.get(3), 1e-5f) : RmsNormOp.apply(sum, in.get(2), 1e-6f);
    }

    static List<Var> inputs(int[] shape) {
        int dim = shape[shape.length - 1];
        return List.of(param(1, 1f, shape), param(2, 1f, shape), param(3, 1f, dim), param(4, 1f, dim));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void backwardPassesGradCheckWhetherTheSumIsUsedOrNot(int[] shape) {
        List<Var> in = inputs(shape);
        for (boolean centered : new boolean[] {true, false}) {
            gradCheck("AddNormOp y", in, v -> postNorm(centered, v));
            gradCheck("AddNormOp sum and y", in, v -> preNorm(centered, v));
        }
    }

    @Test
    void aFrozenOperandOrTheSameVarTwiceGetsTheRightGradient() {
        Var x = constant(5, 1f, 3, 21), r = param(6, 1f, 3, 21), g = param(7, 1f, 21), b = constant(8, 1f, 21);
        gradCheck("AddNormOp constant x", List.of(x, r, g, b), v -> preNorm(true, v));
        gradCheck("AddNormOp x + x", List.of(r, g), v -> MulOp.apply(
                AddNormOp.normOfSum(false, v.get(0), v.get(0), v.get(1), null, 1e-6f), v.get(0)));
    }

    @Test
    void givesTheBitsOfAddThenNormForwardAndBackward() {
        for (boolean centered : new boolean[] {true, false}) {
            List<Var> in = inputs(new int[] {7, 45});
            assertBitwiseEqual(forwardBackward(in, v -> preNormUnfused(centered, v)), forwardBackward(in, v -> preNorm(centered, v)),
                    "sum and y, centered=" + centered);
            assertBitwiseEqual(forwardBackward(in, v -> postNormUnfused(centered, v)), forwardBackward(in, v -> postNorm(centered, v)),
                    "y alone, centered=" + centered);
            // without a tape y alone is computed in its own buffer, the sum never stored apart
            assertArrayEquals(postNormUnfused(centered, in).data(), postNorm(centered, in).data(), "y alone, no tape");
        }
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        List<Var> in = inputs(new int[] {128, 768});
        assertDeterministic(in, v -> preNorm(true, v));
        assertDeterministic(in, v -> preNorm(false, v));
    }

    @Test
    void aResidualOfAnotherShapeNamesTheOpAndShapes() {
        assertShapeError(() -> AddNormOp.apply(true, param(1, 1f, 2, 8), param(2, 1f, 2, 7), param(3, 1f, 8), null, 1e-5f),
                "AddNormOp", "residual", "[2, 8]", "[2, 7]");
    }
}
