package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class LinearOpTest {

    @Test
    void forwardIsInputTimesWeightTransposedPlusBias() {
        // x [2, 3], W [2, 3] (out=2, in=3), b [2]
        Var x = Var.constant(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Var w = Var.constant(Tensor.of(new float[] {1, 0, -1, 2, 1, 0}, 2, 3));
        Var b = Var.constant(Tensor.of(new float[] {0.5f, -1}, 2));
        Var y = LinearOp.apply(x, w, b);
        assertArrayEquals(new int[] {2, 2}, y.shape());
        assertArrayEquals(new float[] {1 + 0 - 3 + 0.5f, 2 + 2 - 1, 4 - 6 + 0.5f, 8 + 5 - 1}, y.data());
        assertFalse(y.requiresGrad(), "no tape recording: nothing requires a gradient");
    }

    @Test
    void gradientsMatchFiniteDifferencesWithBias() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int[] s : new int[][] {{3, 5, 4}, {7, 17, 19}, {13, 37, 33}, {30, 300, 70}}) {
            int rows = s[0], in = s[1], out = s[2];
            Var x = GradCheck.param(rng, 1f, rows, in), w = GradCheck.param(rng, 0.5f, out, in), b = GradCheck.param(rng, 1f, out);
            GradCheck.check("LinearOp", List.of(x, w, b), v -> LinearOp.apply(v.get(0), v.get(1), v.get(2)));
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesWithoutBias() {
        SplittableRandom rng = new SplittableRandom(12);
        Var x = GradCheck.param(rng, 1f, 9, 21), w = GradCheck.param(rng, 0.5f, 35, 21);
        GradCheck.check("LinearOp(no bias)", List.of(x, w), v -> LinearOp.apply(v.get(0), v.get(1), null));
    }

    @Test
    void fusedLowRankTermMatchesFiniteDifferencesForEveryInput() {
        SplittableRandom rng = new SplittableRandom(16);
        for (int[] s : new int[][] {{3, 5, 4, 1}, {13, 37, 33, 8}, {30, 70, 90, 16}}) {
            int rows = s[0], in = s[1], out = s[2], r = s[3];
            Var x = GradCheck.param(rng, 1f, rows, in), w = GradCheck.param(rng, 0.5f, out, in), b = GradCheck.param(rng, 1f, out);
            Var z = GradCheck.param(rng, 1f, rows, r), lb = GradCheck.param(rng, 0.5f, out, r);
            GradCheck.check("LinearOp(low rank)", List.of(x, w, b, z, lb),
                    v -> LinearOp.apply(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4)));
        }
    }

    @Test
    void fusedLowRankTermEqualsTheSeparateProductAdded() {
        SplittableRandom rng = new SplittableRandom(17);
        int rows = 40, in = 64, out = 72, r = 8;
        Var x = GradCheck.param(rng, 1f, rows, in), z = GradCheck.param(rng, 1f, rows, r);
        Var w = Var.constant(Tensor.randn(rng, 0.5f, out, in)), lb = Var.constant(Tensor.randn(rng, 0.5f, out, r));
        float[] fused = LinearOp.apply(x, w, null, z, lb).data();
        float[] base = LinearOp.apply(x, w, null).data(), low = LinearOp.apply(z, lb, null).data();
        for (int i = 0; i < fused.length; i++) assertEquals(base[i] + low[i], fused[i], 1e-5f * (1 + Math.abs(fused[i])), "element " + i);
        assertThrows(IllegalArgumentException.class, () -> LinearOp.apply(x, w, null, z, null));
        assertThrows(IllegalArgumentException.class, () -> LinearOp.apply(x, w, null, GradCheck.param(rng, 1f, rows + 1, r), lb));
    }

    @Test
    void threeDimensionalInputFlattensLeadingDimensions() {
        SplittableRandom rng = new SplittableRandom(13);
        Var x = GradCheck.param(rng, 1f, 2, 3, 11), w = GradCheck.param(rng, 0.5f, 5, 11), b = GradCheck.param(rng, 1f, 5);
        try (Tape t = Tape.record()) {
            assertArrayEquals(new int[] {2, 3, 5}, LinearOp.apply(x, w, b).shape());
        }
        GradCheck.check("LinearOp(3-D input)", List.of(x, w, b), v -> LinearOp.apply(v.get(0), v.get(1), v.get(2)));
    }

    @Test
    void frozenWeightGetsNoGradientWhileInputAndBiasStillDo() {
        SplittableRandom rng = new SplittableRandom(14);
        Var x = GradCheck.param(rng, 1f, 6, 19), b = GradCheck.param(rng, 1f, 23);
        Parameter w = new Parameter("w", Tensor.randn(rng, 0.5f, 23, 19));
        w.setFrozen(true);
        GradCheck.check("LinearOp(frozen weight)", List.of(x, w, b), v -> LinearOp.apply(v.get(0), v.get(1), v.get(2)));
        assertNull(w.grad(), "a frozen weight must not receive a gradient");
        assertNotNull(x.grad());
        assertNotNull(b.grad());
    }

    @Test
    void segmentBackedBf16WeightGivesTheSameOutputAndInputGradientAsItsUpcastCopy() {
        SplittableRandom rng = new SplittableRandom(15);
        int rows = 5, in = 40, out = 33;
        MemorySegment seg = Arena.ofAuto().allocate(2L * out * in);
        for (int i = 0; i < out * in; i++) {
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, DType.f32ToBf16((float) rng.nextDouble() - 0.5f));
        }
        Tensor mapped = Tensor.wrap(seg, DType.BF16, out, in);
        Parameter frozen = new Parameter("w", mapped);
        frozen.setFrozen(true);
        Var heapW = Var.constant(mapped.toHeap());
        Tensor input = Tensor.randn(rng, 1f, rows, in);

        float[][] dx = new float[2][];
        float[][] y = new float[2][];
        Var[] weights = {frozen, heapW};
        for (int i = 0; i < 2; i++) {
            Var x = new Var(input.copy(), true);
            try (Tape t = Tape.record()) {
                Var out1 = LinearOp.apply(x, weights[i], null);
                y[i] = out1.data().clone();
                java.util.Arrays.fill(out1.gradForAccumulation(), 1f);
                t.backwardFromSeededGrads();
            }
            dx[i] = x.grad().data().clone();
        }
        assertArrayEquals(y[1], y[0]);
        assertArrayEquals(dx[1], dx[0]);
        assertTrue(mapped.storage() instanceof dev.tune4j.tensor.Storage.Segment, "the weight stays segment-backed");
    }

    @Test
    void shapeMismatchNamesTheOpAndBothShapes() {
        Var x = Var.constant(Tensor.zeros(4, 7)), w = Var.constant(Tensor.zeros(3, 6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinearOp.apply(x, w, null));
        assertTrue(e.getMessage().startsWith("LinearOp:"), e.getMessage());
        assertTrue(e.getMessage().contains("[4, 7]") && e.getMessage().contains("[3, 6]"), e.getMessage());
        Var w2 = Var.constant(Tensor.zeros(3, 7)), b = Var.constant(Tensor.zeros(4));
        e = assertThrows(IllegalArgumentException.class, () -> LinearOp.apply(x, w2, b));
        assertTrue(e.getMessage().startsWith("LinearOp:") && e.getMessage().contains("[3, 7]") && e.getMessage().contains("[4]"), e.getMessage());
    }
}
