package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class LmHeadLossOpTest {
    private static final int IGNORE = -100;

    private static int[] targets(SplittableRandom rng, int rows, int vocab) {
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) t[i] = i % 5 == 3 ? IGNORE : rng.nextInt(vocab);
        return t;
    }

    /** Loss and every gradient of the fused op against CrossEntropyOp over LinearOp's whole logits. */
    private static void assertSameAsUnfused(int rows, int d, int vocab, long chunkFloats, CrossEntropyOp.Reduction reduction) {
        SplittableRandom rng = new SplittableRandom(rows * 31L + vocab);
        int[] t = targets(rng, rows, vocab);
        Tensor h0 = Tensor.randn(rng, 1f, rows, d), w0 = Tensor.randn(rng, 0.5f, vocab, d), b0 = Tensor.randn(rng, 0.5f, vocab);
        Var[] fused = {new Parameter("h", h0.copy()), new Parameter("w", w0.copy()), new Parameter("b", b0.copy())};
        Var[] plain = {new Parameter("h", h0.copy()), new Parameter("w", w0.copy()), new Parameter("b", b0.copy())};
        float lf, lp;
        try (Tape tape = Tape.record()) {
            Var l = LmHeadLossOp.apply(fused[0], fused[1], fused[2], t, IGNORE, reduction, chunkFloats);
            lf = l.value().get(0);
            tape.backward(l, 0.7f);
        }
        try (Tape tape = Tape.record()) {
            Var l = CrossEntropyOp.apply(LinearOp.apply(plain[0], plain[1], plain[2]), t, IGNORE, reduction);
            lp = l.value().get(0);
            tape.backward(l, 0.7f);
        }
        String what = rows + "x" + d + " vocab " + vocab + " chunk " + chunkFloats + " " + reduction;
        assertEquals(lp, lf, 1e-5 * Math.abs(lp), what + ": loss");
        for (int i = 0; i < 3; i++) {
            float[] gf = fused[i].grad().data(), gp = plain[i].grad().data();
            double max = 0;
            for (float v : gp) max = Math.max(max, Math.abs(v));
            for (int j = 0; j < gp.length; j++) assertEquals(gp[j], gf[j], 1e-5 * max, what + ": gradient of input " + i + " at " + j);
        }
    }

    @Test
    void equalsCrossEntropyOverTheWholeLogitsWithOneChunkAndMany() {
        assertSameAsUnfused(37, 24, 50, Long.MAX_VALUE, CrossEntropyOp.Reduction.MEAN);
        assertSameAsUnfused(37, 24, 50, 50 * 8, CrossEntropyOp.Reduction.MEAN);   // 5 chunks of 8 rows, the last ragged
        assertSameAsUnfused(64, 40, 301, 301 * 7, CrossEntropyOp.Reduction.SUM);
        assertSameAsUnfused(5, 8, 1000, 1, CrossEntropyOp.Reduction.MEAN);       // one row per chunk
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(3);
        int rows = 9, d = 7, vocab = 13;
        int[] t = targets(rng, rows, vocab);
        Var h = GradCheck.param(rng, 1f, rows, d), w = GradCheck.param(rng, 0.5f, vocab, d), b = GradCheck.param(rng, 0.5f, vocab);
        GradCheck.check("LmHeadLossOp", List.of(h, w, b),
                v -> LmHeadLossOp.apply(v.get(0), v.get(1), v.get(2), t, IGNORE, CrossEntropyOp.Reduction.MEAN, vocab * 4L));
    }

    @Test
    void frozenHeadGetsNoGradientAndHoldsNoWeightSizedBuffer() {
        SplittableRandom rng = new SplittableRandom(4);
        Var h = GradCheck.param(rng, 1f, 6, 5);
        Parameter w = new Parameter("w", Tensor.randn(rng, 0.5f, 11, 5));
        w.setFrozen(true);
        try (Tape tape = Tape.record()) {
            tape.backward(LmHeadLossOp.apply(h, w, null, targets(rng, 6, 11), IGNORE, CrossEntropyOp.Reduction.MEAN));
        }
        assertNull(w.grad());
        assertNotNull(h.grad());
    }

    @Test
    void everyRowIgnoredGivesZeroLossAndZeroGradient() {
        SplittableRandom rng = new SplittableRandom(5);
        Var h = GradCheck.param(rng, 1f, 4, 5), w = GradCheck.param(rng, 0.5f, 11, 5);
        int[] none = {IGNORE, IGNORE, IGNORE, IGNORE};
        try (Tape tape = Tape.record()) {
            Var l = LmHeadLossOp.apply(h, w, null, none, IGNORE, CrossEntropyOp.Reduction.MEAN);
            assertEquals(0f, l.value().get(0));
            tape.backward(l);
        }
        if (h.grad() != null) for (float v : h.grad().data()) assertEquals(0f, v);
    }

    @Test
    void targetOutOfRangeIsRefusedWithTheRow() {
        SplittableRandom rng = new SplittableRandom(6);
        Var h = GradCheck.param(rng, 1f, 3, 5), w = GradCheck.param(rng, 0.5f, 11, 5);
        var e = assertThrows(IllegalArgumentException.class,
                () -> LmHeadLossOp.apply(h, w, null, new int[] {1, 11, 2}, IGNORE, CrossEntropyOp.Reduction.MEAN));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }
}
