package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class MatMulOpTest {

    @Test
    void forwardMatchesTheDefinitionInEveryTransposeCombination() {
        // op(A) = [[1, 2, 3], [4, 5, 6]], op(B) = [[1, 0], [0, 1], [1, 1]] -> [[4, 5], [10, 11]]
        float[] a = {1, 2, 3, 4, 5, 6}, aT = {1, 4, 2, 5, 3, 6};
        float[] b = {1, 0, 0, 1, 1, 1}, bT = {1, 0, 1, 0, 1, 1};
        for (int combo = 0; combo < 4; combo++) {
            boolean ta = (combo & 1) != 0, tb = (combo & 2) != 0;
            Var va = Var.constant(ta ? Tensor.of(aT.clone(), 3, 2) : Tensor.of(a.clone(), 2, 3));
            Var vb = Var.constant(tb ? Tensor.of(bT.clone(), 2, 3) : Tensor.of(b.clone(), 3, 2));
            Var c = MatMulOp.apply(va, vb, ta, tb);
            assertArrayEquals(new int[] {2, 2}, c.shape());
            assertArrayEquals(new float[] {4, 5, 10, 11}, c.data(), "transA=" + ta + " transB=" + tb);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesInEveryTransposeCombination() {
        SplittableRandom rng = new SplittableRandom(21);
        for (int[] s : new int[][] {{3, 4, 5}, {7, 19, 17}, {17, 33, 13}}) {
            int m = s[0], k = s[1], n = s[2];
            for (int combo = 0; combo < 4; combo++) {
                boolean ta = (combo & 1) != 0, tb = (combo & 2) != 0;
                Var a = ta ? GradCheck.param(rng, 1f, k, m) : GradCheck.param(rng, 1f, m, k);
                Var b = tb ? GradCheck.param(rng, 1f, n, k) : GradCheck.param(rng, 1f, k, n);
                GradCheck.check("MatMulOp(transA=" + ta + ",transB=" + tb + ")", List.of(a, b),
                        v -> MatMulOp.apply(v.get(0), v.get(1), ta, tb));
            }
        }
    }

    @Test
    void onlyOperandsThatNeedAGradientGetOne() {
        SplittableRandom rng = new SplittableRandom(22);
        Var a = GradCheck.param(rng, 1f, 5, 6), b = Var.constant(Tensor.randn(rng, 1f, 6, 7));
        GradCheck.check("MatMulOp(constant B)", List.of(a, b), v -> MatMulOp.apply(v.get(0), v.get(1), false, false));
        assertNull(b.grad());
    }

    @Test
    void shapeMismatchNamesTheOpAndBothShapes() {
        Var a = Var.constant(Tensor.zeros(2, 3)), b = Var.constant(Tensor.zeros(4, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatMulOp.apply(a, b, false, false));
        assertTrue(e.getMessage().startsWith("MatMulOp"), e.getMessage());
        assertTrue(e.getMessage().contains("inner dimensions differ") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]"), e.getMessage());
        Var v3 = Var.constant(Tensor.zeros(2, 3, 4));
        e = assertThrows(IllegalArgumentException.class, () -> MatMulOp.apply(v3, b, false, false));
        assertTrue(e.getMessage().contains("2-D"), e.getMessage());
    }
}
