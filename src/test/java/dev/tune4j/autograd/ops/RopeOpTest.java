package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.kernel.RopeTable;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.tune4j.autograd.ops.RopeOp.Layout.HALF_SPLIT;
import static dev.tune4j.autograd.ops.RopeOp.Layout.INTERLEAVED;
import static org.junit.jupiter.api.Assertions.*;

class RopeOpTest {

    /** Head sizes: all-scalar (5 pairs), one vector plus a tail (20 pairs), exact vectors (32, 64 pairs). */
    static Stream<Arguments> layoutsAndHeadSizes() {
        return Stream.of(HALF_SPLIT, INTERLEAVED).flatMap(l ->
                Stream.of(10, 40, 64, 128).map(dh -> Arguments.of(l, dh)));
    }

    /**
     * float64 reference written the way each layout is usually defined: HALF_SPLIT as Hugging Face's
     * x * cat(cos, cos) + rotate_half(x) * cat(sin, sin), INTERLEAVED as Meta's complex product
     * (x[2i] + i x[2i+1]) * exp(i * angle).
     */
    static double[] reference(float[] x, int B, int T, int H, int Dh, double theta, int[] pos, RopeOp.Layout layout) {
        int half = Dh / 2;
        double[] out = new double[x.length];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < H; h++) {
                    int base = ((b * T + t) * H + h) * Dh;
                    int p = pos.length == T ? pos[t] : pos[b * T + t];
                    double[] cos = new double[Dh], sin = new double[Dh];
                    for (int i = 0; i < half; i++) {
                        double angle = p / Math.pow(theta, 2.0 * i / Dh);
                        cos[i] = cos[i + half] = Math.cos(angle);
                        sin[i] = sin[i + half] = Math.sin(angle);
                    }
                    if (layout == HALF_SPLIT) {
                        for (int c = 0; c < Dh; c++) {
                            double rotated = c < half ? -x[base + c + half] : x[base + c - half];
                            out[base + c] = x[base + c] * cos[c] + rotated * sin[c];
                        }
                    } else {
                        for (int i = 0; i < half; i++) {
                            double re = x[base + 2 * i], im = x[base + 2 * i + 1];
                            out[base + 2 * i] = re * cos[i] - im * sin[i];
                            out[base + 2 * i + 1] = re * sin[i] + im * cos[i];
                        }
                    }
                }
        return out;
    }

    @ParameterizedTest(name = "{0} Dh={1}")
    @MethodSource("layoutsAndHeadSizes")
    void forwardMatchesFloat64Rotation(RopeOp.Layout layout, int Dh) {
        int B = 2, T = 7, H = 3;
        RopeTable table = new RopeTable(Dh, 10000, 4096);
        Var x = new Var(Tensor.randn(new SplittableRandom(Dh), 1f, B, T, H, Dh), false);
        int[] shared = {0, 1, 2, 3, 100, 2047, 4095};
        int[] perRow = {0, 0, 0, 1, 2, 3, 4, /* row 1: left-padded by 3 */ 5, 6, 7, 8, 9, 10, 3000};
        for (int[] pos : new int[][] {shared, perRow}) {
            double[] ref = reference(x.data(), B, T, H, Dh, 10000, pos, layout);
            float[] y = RopeOp.apply(x, table, pos, layout).data();
            for (int i = 0; i < ref.length; i++) {
                // float32 table entries: error grows with the angle's size only through cos/sin rounding.
                assertEquals(ref[i], y[i], 2e-6 * Math.max(1, Math.abs(ref[i])), layout + " element " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0} Dh={1}")
    @MethodSource("layoutsAndHeadSizes")
    void rotationPreservesEachHeadsNorm(RopeOp.Layout layout, int Dh) {
        int B = 1, T = 5, H = 2;
        RopeTable table = new RopeTable(Dh, 500000, 64, new RopeTable.Llama3(8, 1, 4, 16));
        Var x = new Var(Tensor.randn(new SplittableRandom(3), 1f, B, T, H, Dh), false);
        float[] y = RopeOp.apply(x, table, new int[] {0, 7, 13, 40, 63}, layout).data();
        for (int head = 0; head < B * T * H; head++) {
            double nx = 0, ny = 0;
            for (int c = 0; c < Dh; c++) {
                nx += Math.pow(x.data()[head * Dh + c], 2);
                ny += Math.pow(y[head * Dh + c], 2);
            }
            assertEquals(nx, ny, 1e-5 * nx, "norm of head " + head);
        }
    }

    @ParameterizedTest(name = "{0} Dh={1}")
    @MethodSource("layoutsAndHeadSizes")
    void gradientMatchesFiniteDifferences(RopeOp.Layout layout, int Dh) {
        RopeTable table = new RopeTable(Dh, 10000, 32, new RopeTable.Linear(2));
        Var x = GradCheck.param(new SplittableRandom(Dh + 1), 1f, 2, 3, 2, Dh);
        int[] perRow = {0, 1, 2, 5, 17, 31};
        GradCheck.check("RopeOp[" + layout + ",Dh=" + Dh + "]", List.of(x),
                in -> RopeOp.apply(in.get(0), table, perRow, layout));
    }

    @Test
    void backwardIsTheInverseRotation() {
        for (RopeOp.Layout layout : RopeOp.Layout.values()) {
            RopeTable table = new RopeTable(40, 10000, 128);
            Var x = GradCheck.param(new SplittableRandom(5), 1f, 2, 4, 3, 40);
            try (Tape tape = Tape.record()) {
                Var y = RopeOp.apply(x, table, new int[] {3, 9, 27, 81}, layout);
                // Seeding the output gradient with y itself must give back x.
                System.arraycopy(y.data(), 0, y.gradForAccumulation(), 0, y.data().length);
                tape.backwardFromSeededGrads();
            }
            float[] back = x.grad().data();
            for (int i = 0; i < back.length; i++) assertEquals(x.data()[i], back[i], 1e-5f, layout + " element " + i);
        }
    }

    @Test
    void resultIsBitwiseIdenticalWithOneAndTwoThreads() {
        int before = Parallel.threads();
        try {
            RopeTable table = new RopeTable(64, 10000, 512);
            Var x = new Var(Tensor.randn(new SplittableRandom(6), 1f, 4, 33, 4, 64), false);
            int[] pos = new int[33];
            for (int t = 0; t < 33; t++) pos[t] = 7 * t;
            for (RopeOp.Layout layout : RopeOp.Layout.values()) {
                Parallel.setThreads(2);
                float[] a = RopeOp.apply(x, table, pos, layout).data();
                Parallel.setThreads(1);
                float[] b = RopeOp.apply(x, table, pos, layout).data();
                assertArrayEquals(a, b, layout.toString());
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void badShapesAndPositionsAreRejectedNamingTheOp() {
        RopeTable table = new RopeTable(16, 10000, 8);
        Var x = Var.constant(Tensor.zeros(2, 3, 2, 16));
        assertMessage(() -> RopeOp.apply(Var.constant(Tensor.zeros(2, 3, 2, 8)), table, new int[] {0, 1, 2}, HALF_SPLIT),
                "head size 8 differs from the table's 16", "[2, 3, 2, 8]");
        assertMessage(() -> RopeOp.apply(x, table, new int[] {0, 1}, HALF_SPLIT), "positions must have T = 3 or B*T = 6", "[2, 3, 2, 16]");
        assertMessage(() -> RopeOp.apply(x, table, new int[] {0, 1, 8}, INTERLEAVED), "position 8 at index 2", "[0, 8)");
        assertMessage(() -> RopeOp.apply(Var.constant(Tensor.zeros(3, 2, 16)), table, new int[] {0, 1, 2}, HALF_SPLIT),
                "x must be [B, T, H, Dh]", "[3, 2, 16]");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith("RopeOp"), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
    }
}
