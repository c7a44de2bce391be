package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/** MeanPoolOp, ClsPoolOp, LastTokenPoolOp, L2NormalizeOp. */
class PoolingOpsTest {

    @Test
    void meanPoolAveragesOnlyRealTokensAndPoolsAllPaddingToZeros() {
        int b = 3, t = 4, d = 37;
        Var x = param(1, 1f, b, t, d);
        int[][] mask = {{1, 1, 1, 0}, {1, 0, 0, 0}, {0, 0, 0, 0}};
        float[] y = MeanPoolOp.apply(x, mask).data();
        double[] want = new double[b * d];
        for (int i = 0; i < b; i++) {
            int count = 0;
            for (int s = 0; s < t; s++) count += mask[i][s];
            for (int s = 0; s < t; s++) {
                for (int j = 0; j < d; j++) if (mask[i][s] == 1) want[i * d + j] += (double) x.data()[(i * t + s) * d + j] / count;
            }
        }
        assertClose(want, y, 1e-6, 1e-7, "mean pool");
        gradCheck("MeanPoolOp", List.of(x), in -> MeanPoolOp.apply(in.get(0), mask));
        Var one = param(2, 1f, 1, 1, 1);
        gradCheck("MeanPoolOp", List.of(one), in -> MeanPoolOp.apply(in.get(0), new int[][] {{1}}));
    }

    @Test
    void clsPoolTakesTheFirstToken() {
        Var x = param(3, 1f, 2, 5, 37);
        float[] y = ClsPoolOp.apply(x).data();
        assertArrayEquals(new int[] {2, 37}, ClsPoolOp.apply(x).shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 37; j++) assertEquals(x.data()[i * 5 * 37 + j], y[i * 37 + j]);
        }
        gradCheck("ClsPoolOp", List.of(x), in -> ClsPoolOp.apply(in.get(0)));
        Var one = param(4, 1f, 1, 1, 1);
        gradCheck("ClsPoolOp", List.of(one), in -> ClsPoolOp.apply(in.get(0)));
    }

    @Test
    void lastTokenPoolTakesTheLastUnmaskedPositionWithLeftRightOrNoPadding() {
        int b = 4, t = 5, d = 37;
        Var x = param(11, 1f, b, t, d);
        int[][] mask = {{1, 1, 1, 0, 0}, {0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}, {0, 1, 0, 0, 0}};
        int[] last = {2, 4, 4, 1};
        assertArrayEquals(last, LastTokenPoolOp.lastTokens(mask, b, t));
        float[] y = LastTokenPoolOp.apply(x, mask).data();
        assertArrayEquals(new int[] {b, d}, LastTokenPoolOp.apply(x, mask).shape());
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < d; j++) assertEquals(x.data()[(i * t + last[i]) * d + j], y[i * d + j], "row " + i);
        }
        float[] noMask = LastTokenPoolOp.apply(x, null).data();
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < d; j++) assertEquals(x.data()[(i * t + t - 1) * d + j], noMask[i * d + j], "unmasked row " + i);
        }
        gradCheck("LastTokenPoolOp", List.of(x), in -> LastTokenPoolOp.apply(in.get(0), mask));
        gradCheck("LastTokenPoolOp", List.of(x), in -> LastTokenPoolOp.apply(in.get(0), null));
        Var one = param(12, 1f, 1, 1, 1);
        gradCheck("LastTokenPoolOp", List.of(one), in -> LastTokenPoolOp.apply(in.get(0), new int[][] {{1}}));
    }

    @Test
    void lastTokenPoolRefusesAnEmptySequenceAndABadMask() {
        Var x = param(13, 1f, 2, 3, 4);
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> LastTokenPoolOp.apply(x, new int[][] {{1, 1, 0}, {0, 0, 0}}));
        assertTrue(empty.getMessage().contains("sequence 1 has no tokens"), empty.getMessage());
        assertShapeError(() -> LastTokenPoolOp.apply(x, new int[][] {{1, 1}, {1, 1}}), "LastTokenPoolOp", "[2, 3]", "[2, 2]");
        assertShapeError(() -> LastTokenPoolOp.apply(param(1, 1f, 3, 4), null), "LastTokenPoolOp", "[3, 4]");
    }

    @Test
    void l2NormalizeGivesUnitRowsClampsTinyOnesAndPassesGradCheck() {
        Var x = param(5, 1f, 3, 37);
        float[] y = L2NormalizeOp.apply(x, 1e-12f).data();
        for (int r = 0; r < 3; r++) {
            double n2 = 0, xn = 0;
            for (int j = 0; j < 37; j++) xn += (double) x.data()[r * 37 + j] * x.data()[r * 37 + j];
            for (int j = 0; j < 37; j++) {
                n2 += (double) y[r * 37 + j] * y[r * 37 + j];
                assertEquals(x.data()[r * 37 + j] / Math.sqrt(xn), y[r * 37 + j], 1e-6);
            }
            assertEquals(1.0, n2, 1e-6);
        }
        float[] tiny = L2NormalizeOp.apply(Var.constant(Tensor.of(new float[] {0f, 0f, 3e-13f, 4e-13f}, 2, 2)), 1e-12f).data();
        assertArrayEquals(new float[] {0f, 0f, 0.3f, 0.4f}, tiny, 1e-6f);
        for (int[] shape : new int[][] {{1, 37}, {4, 16}, {2, 3, 5}}) {
            Var v = param(6, 1f, shape);
            gradCheck("L2NormalizeOp", List.of(v), in -> L2NormalizeOp.apply(in.get(0), 1e-12f));
        }
    }

    @Test
    void badShapesNameTheOpAndShapes() {
        Var x = param(1, 1f, 2, 3, 4);
        assertShapeError(() -> MeanPoolOp.apply(x, new int[][] {{1, 1, 1}}), "MeanPoolOp", "[2, 3, 4]", "[1, 3]");
        assertShapeError(() -> MeanPoolOp.apply(x, new int[][] {{1, 1, 1}, {1, 1}}), "MeanPoolOp", "[2, 3, 4]");
        assertShapeError(() -> MeanPoolOp.apply(param(1, 1f, 3, 4), new int[][] {{1}}), "MeanPoolOp", "[3, 4]");
        assertShapeError(() -> ClsPoolOp.apply(param(1, 1f, 3, 4)), "ClsPoolOp", "[3, 4]");
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var x = param(7, 1f, 16, 64, 384);
        int[][] mask = new int[16][64];
        for (int i = 0; i < 16; i++) for (int s = 0; s < 64 - 3 * i; s++) mask[i][s] = 1;
        assertDeterministic(List.of(x), in -> L2NormalizeOp.apply(MeanPoolOp.apply(in.get(0), mask), 1e-12f));
        assertDeterministic(List.of(x), in -> ClsPoolOp.apply(in.get(0)));
    }
}
