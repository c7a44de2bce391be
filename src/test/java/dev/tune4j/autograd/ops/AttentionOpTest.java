package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.kernel.AttentionReference;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class AttentionOpTest {

    /** One attention problem: q [B,T,Hq,Dh], k and v [B,S,Hkv,Dh], a mask. */
    record Case(String name, int B, int T, int S, int Hq, int Hkv, int Dh, boolean causal, int[][] keyValid) {
        AttentionMask mask() { return new AttentionMask(causal, keyValid); }

        @Override
        public String toString() { return name; }
    }

    static int[][] rows(String... bits) {
        int[][] m = new int[bits.length][];
        for (int b = 0; b < bits.length; b++) m[b] = bits[b].chars().map(ch -> ch - '0').toArray();
        return m;
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("mha", 2, 7, 7, 3, 3, 32, false, null),
                new Case("mha_causal_dh64", 2, 13, 13, 2, 2, 64, true, null),
                new Case("gqa_8_2_causal", 1, 7, 7, 8, 2, 32, true, null),
                new Case("gqa_4_1_dh80", 2, 13, 13, 4, 1, 80, false, null),
                new Case("right_padding_with_fully_padded_row", 3, 7, 7, 2, 2, 32, false,
                        rows("1111100", "1111111", "0000000")),
                new Case("left_padding_causal", 2, 7, 7, 2, 1, 64, true, rows("0011111", "1111111")),
                new Case("causal_s_greater_than_t", 2, 5, 13, 4, 2, 32, true, null),
                new Case("causal_s_greater_than_t_padded_dh80", 2, 3, 13, 2, 2, 80, true,
                        rows("0001111111111", "1111111111100")),
                new Case("causal_s_less_than_t_first_rows_see_nothing", 1, 7, 4, 2, 2, 32, true, null),
                new Case("decode_one_query", 2, 1, 13, 4, 2, 32, true, null),
                new Case("dh20_vector_tail", 1, 7, 13, 2, 2, 20, false, null),
                new Case("dh128_s_less_than_t", 1, 13, 7, 2, 1, 128, false, null));
    }

    static Var[] inputs(Case c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new Var[] {
                new Var(Tensor.randn(rng, 1f, c.B, c.T, c.Hq, c.Dh), true),
                new Var(Tensor.randn(rng, 1f, c.B, c.S, c.Hkv, c.Dh), true),
                new Var(Tensor.randn(rng, 1f, c.B, c.S, c.Hkv, c.Dh), true)};
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesFloat64Softmax(Case c) {
        Var[] x = inputs(c, 11);
        float scale = (float) (1 / Math.sqrt(c.Dh));
        Var y = AttentionOp.apply(x[0], x[1], x[2], c.mask(), scale);
        assertArrayEquals(new int[] {c.B, c.T, c.Hq, c.Dh}, y.shape());
        double[] ref = new AttentionReference(c.B, c.T, c.S, c.Hq, c.Hkv, c.Dh, c.causal, c.keyValid, scale)
                .forward(x[0].data(), x[1].data(), x[2].data());
        float[] out = y.data();
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], out[i], 2e-5 * Math.max(1, Math.abs(ref[i])), c + ": element " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsOfQKVMatchFiniteDifferences(Case c) {
        Var[] x = inputs(c, 12);
        GradCheck.check("AttentionOp[" + c.name + "]", List.of(x),
                in -> AttentionOp.apply(in.get(0), in.get(1), in.get(2), c.mask()));
    }

    @Test
    void defaultScaleIsOneOverSqrtHeadSize() {
        Case c = new Case("mha", 1, 5, 6, 2, 2, 64, false, null);
        Var[] x = inputs(c, 13);
        assertArrayEquals(AttentionOp.apply(x[0], x[1], x[2], AttentionMask.NONE, 0.125f).data(),
                AttentionOp.apply(x[0], x[1], x[2], null).data());
    }

    @Test
    void queryThatSeesOnlyPaddingOutputsZerosAndPassesNoGradient() {
        Case c = new Case("all_padded", 2, 4, 5, 2, 2, 32, false, rows("11100", "00000"));
        Var[] x = inputs(c, 14);
        try (Tape tape = Tape.record()) {
            Var y = AttentionOp.apply(x[0], x[1], x[2], c.mask());
            float[] out = y.data();
            int rowLen = c.T * c.Hq * c.Dh;
            for (int i = rowLen; i < 2 * rowLen; i++) assertEquals(0f, out[i], "batch row 1 must be zero at " + i);
            java.util.Arrays.fill(y.gradForAccumulation(), 1f);
            tape.backwardFromSeededGrads();
        }
        float[] dq = x[0].grad().data(), dk = x[1].grad().data(), dv = x[2].grad().data();
        for (float g : dq) assertFalse(Float.isNaN(g));
        int qRow = c.T * c.Hq * c.Dh, kRow = c.S * c.Hkv * c.Dh;
        for (int i = qRow; i < 2 * qRow; i++) assertEquals(0f, dq[i], "dq of the padded batch row");
        for (int i = 0; i < 2 * kRow; i++) {
            boolean paddedKey = i >= kRow || (i / (c.Hkv * c.Dh)) >= 3;
            if (paddedKey) {
                assertEquals(0f, dk[i], "dk of a padded key at " + i);
                assertEquals(0f, dv[i], "dv of a padded key at " + i);
            }
        }
    }

    @Test
    void frozenKeysAndValuesGetNoGradient() {
        Case c = new Case("frozen_kv", 1, 5, 5, 2, 1, 32, true, null);
        Var[] x = inputs(c, 15);
        Var k = Var.constant(x[1].value()), v = Var.constant(x[2].value());
        GradCheck.check("AttentionOp[q_only]", List.of(x[0], k, v),
                in -> AttentionOp.apply(in.get(0), in.get(1), in.get(2), c.mask()));
        assertNull(k.grad());
        assertNull(v.grad());
    }

    @Test
    void inferenceRecordsNothing() {
        Case c = new Case("inference", 1, 3, 3, 1, 1, 32, false, null);
        Var[] x = inputs(c, 16);
        Var y = AttentionOp.apply(x[0], x[1], x[2], AttentionMask.CAUSAL);
        assertFalse(y.requiresGrad());
    }

    @Test
    void headsThatDoNotGroupAreRejectedWithShapes() {
        Var q = Var.constant(Tensor.zeros(1, 4, 6, 32)), kv = Var.constant(Tensor.zeros(1, 4, 4, 32));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionOp.apply(q, kv, kv, AttentionMask.NONE));
        assertTrue(e.getMessage().contains("AttentionOp"), e.getMessage());
        assertTrue(e.getMessage().contains("multiple of kv heads"), e.getMessage());
        assertTrue(e.getMessage().contains("[1, 4, 6, 32] [1, 4, 4, 32]"), e.getMessage());
    }

    @Test
    void mismatchedShapesAreRejectedWithShapes() {
        Var q = Var.constant(Tensor.zeros(1, 4, 2, 32));
        Var k = Var.constant(Tensor.zeros(1, 5, 2, 32)), v = Var.constant(Tensor.zeros(1, 5, 2, 16));
        Var k16 = Var.constant(Tensor.zeros(1, 5, 2, 16));
        Var k2 = Var.constant(Tensor.zeros(2, 5, 2, 32));
        assertMessage(() -> AttentionOp.apply(q, k, v, null), "k and v shapes differ", "[1, 5, 2, 32] [1, 5, 2, 16]");
        assertMessage(() -> AttentionOp.apply(q, k16, k16, null), "head sizes", "[1, 4, 2, 32] [1, 5, 2, 16]");
        assertMessage(() -> AttentionOp.apply(q, k2, k2, null), "batch sizes", "[1, 4, 2, 32] [2, 5, 2, 32]");
        assertMessage(() -> AttentionOp.apply(Var.constant(Tensor.zeros(4, 2, 32)), k, k, null), "q must be", "[4, 2, 32]");
        assertMessage(() -> AttentionOp.apply(q, k, k, AttentionMask.padding(rows("1111"))),
                "key padding mask must be [batch, keys] = [1, 5]", "[1, 4]");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith("AttentionOp"), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
    }
}
