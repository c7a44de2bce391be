package dev.tune4j.kernel;

import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Storage;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class GemmTest {
    private static final int MR = Gemm.MR, NR = Gemm.NR, KC = Gemm.KC;

    /**
     * m, n, k: tiny, below one tile, one past a tile / K block, several blocks with ragged edges, thin;
     * narrow (n <= NARROW columns: a LoRA rank) with many rows, ragged and parallel.
     */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 1, 2}, {2, 3, 1}, {3, 5, 7}, {MR - 1, NR - 1, 3}, {MR, NR, KC},
            {MR + 1, NR + 1, KC + 1}, {2 * MR + 3, 3 * NR + 5, 2 * KC + 3}, {1, 3 * NR + 1, 70}, {5 * MR + 1, 1, 90},
            {300, 8, 2 * KC + 5}, {MR + 3, Gemm.NARROW, 37}, {1000, Gemm.NARROW + 1, 200},
    };

    /** A GEMM problem laid out with padding around every matrix, so stray reads and writes show. */
    private static final class Problem {
        final int m, n, k, aOff = 3, bOff = 5, cOff = 2, lda, ldb, ldc;
        final boolean ta, tb;
        final float[] a, b, c, bias;

        Problem(SplittableRandom rng, int m, int n, int k, boolean ta, boolean tb) {
            this.m = m; this.n = n; this.k = k; this.ta = ta; this.tb = tb;
            lda = (ta ? m : k) + 2;
            ldb = (tb ? k : n) + 1;
            ldc = n + 3;
            a = random(rng, aOff + (ta ? k : m) * lda);
            b = random(rng, bOff + (tb ? n : k) * ldb);
            c = random(rng, cOff + m * ldc + 4);
            bias = random(rng, n + 1);
        }

        float a(int i, int kk) { return a[aOff + (ta ? kk * lda + i : i * lda + kk)]; }
        float b(int kk, int j) { return b[bOff + (tb ? j * ldb + kk : kk * ldb + j)]; }

        void run(boolean withBias, boolean accumulate) {
            Gemm.gemm(m, n, k, a, aOff, lda, ta, b, bOff, ldb, tb, c, cOff, ldc, withBias ? bias : null, 1, accumulate);
        }

        /** Checks c against the float64 result; c0 is C before the call. */
        void check(float[] c0, boolean withBias, boolean accumulate, String what) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0, abs = 0;
                    for (int kk = 0; kk < k; kk++) {
                        double p = (double) a(i, kk) * b(kk, j);
                        sum += p;
                        abs += Math.abs(p);
                    }
                    int o = cOff + i * ldc + j;
                    if (accumulate) { sum += c0[o]; abs += Math.abs(c0[o]); }
                    if (withBias) { sum += bias[1 + j]; abs += Math.abs(bias[1 + j]); }
                    // float32 summation of k+2 terms: |error| <= (k+2) * 2^-24 * sum|terms|, with margin.
                    double tol = (k + 4) * 1.2e-7 * abs + 1e-30;
                    assertEquals(sum, c[o], tol, what + " at (" + i + ", " + j + ")");
                }
            }
            // Padding between rows and around C is untouched.
            for (int o = 0; o < c.length; o++) {
                int row = (o - cOff) / ldc, col = (o - cOff) % ldc;
                boolean inside = o >= cOff && row < m && col < n;
                if (!inside) assertEquals(c0[o], c[o], what + ": wrote outside C at " + o);
            }
        }
    }

    @Test
    void matchesFloat64ReferenceInEveryLayoutIncludingRaggedEdges() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int[] s : SHAPES) {
            for (int layout = 0; layout < 4; layout++) {
                Problem p = new Problem(rng, s[0], s[1], s[2], (layout & 1) != 0, (layout & 2) != 0);
                float[] c0 = p.c.clone();
                p.run(false, false);
                p.check(c0, false, false, describe(p, false, false));
            }
        }
    }

    @Test
    void accumulatesIntoCAndAddsBiasOnceAcrossKBlocks() {
        SplittableRandom rng = new SplittableRandom(2);
        int[][] shapes = {{MR + 1, NR + 1, KC + 1}, {2 * MR + 3, 3 * NR + 5, 3 * KC + 7}, {3, 7, 5}, {301, 8, 77}};
        for (int[] s : shapes) {
            for (int layout = 0; layout < 4; layout++) {
                for (int mode = 0; mode < 3; mode++) {
                    boolean withBias = mode != 1, accumulate = mode != 0;
                    Problem p = new Problem(rng, s[0], s[1], s[2], (layout & 1) != 0, (layout & 2) != 0);
                    float[] c0 = p.c.clone();
                    p.run(withBias, accumulate);
                    p.check(c0, withBias, accumulate, describe(p, withBias, accumulate));
                }
            }
        }
    }

    @Test
    void emptyInnerDimensionLeavesOnlyTheBiasOrC() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int mode = 0; mode < 4; mode++) {
            boolean withBias = (mode & 1) != 0, accumulate = (mode & 2) != 0;
            Problem p = new Problem(rng, 4, 6, 0, false, true);
            float[] c0 = p.c.clone();
            p.run(withBias, accumulate);
            p.check(c0, withBias, accumulate, describe(p, withBias, accumulate));
        }
        // No rows or no columns: nothing is written at all.
        Problem p = new Problem(rng, 0, 5, 3, false, false);
        float[] c0 = p.c.clone();
        p.run(true, false);
        assertArrayEquals(c0, p.c);
    }

    @Test
    void segmentBackedBIsUpcastWhilePackingInF32Bf16AndF16() {
        SplittableRandom rng = new SplittableRandom(4);
        int k = KC + 9;
        // m = 1 and 3 take the few-rows (dot product) path when B is transposed; 2MR+1 the blocked one,
        // or the narrow one with n = 8
        for (int[] mn : new int[][] {{1, NR + 7}, {3, NR + 7}, {2 * MR + 1, NR + 7}, {2 * MR + 1, 8}}) {
            int m = mn[0], n = mn[1];
            for (DType dtype : DType.values()) {
                for (boolean tb : new boolean[] {false, true}) {
                    int rows = tb ? n : k, cols = tb ? k : n;
                    // B as the dtype's bytes in a segment, and the same values upcast one by one to a heap array.
                    MemorySegment seg = Arena.ofAuto().allocate((long) rows * cols * dtype.byteSize);
                    float[] heapB = new float[rows * cols];
                    for (int i = 0; i < heapB.length; i++) {
                        float v = (float) (rng.nextDouble() * 2 - 1);
                        switch (dtype) {
                            case F32 -> {
                                seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, v);
                                heapB[i] = v;
                            }
                            case BF16 -> {
                                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, DType.f32ToBf16(v));
                                heapB[i] = DType.bf16ToF32(DType.f32ToBf16(v));
                            }
                            case F16 -> {
                                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, DType.f32ToF16(v));
                                heapB[i] = DType.f16ToF32(DType.f32ToF16(v));
                            }
                        }
                    }
                    Storage segB = new Storage.Segment(seg, dtype);
                    float[] read = new float[heapB.length - 3];
                    segB.read(3, read, 0, read.length);
                    assertArrayEquals(java.util.Arrays.copyOfRange(heapB, 3, heapB.length), read, dtype + ": read at an odd offset widens exactly");
                    float[] a = random(rng, m * k), bias = random(rng, n);
                    float[] fromSegment = new float[m * n], fromHeap = new float[m * n];
                    Gemm.gemm(m, n, k, a, 0, k, false, segB, 0, cols, tb, fromSegment, 0, n, bias, 0, false);
                    Gemm.gemm(m, n, k, a, 0, k, false, heapB, 0, cols, tb, fromHeap, 0, n, bias, 0, false);
                    String what = dtype + " m=" + m + " transB=" + tb;
                    assertArrayEquals(fromHeap, fromSegment, what);
                    double expected = bias[n - 1];
                    for (int kk = 0; kk < k; kk++) expected += (double) a[(m - 1) * k + kk] * heapB[tb ? (n - 1) * k + kk : kk * n + n - 1];
                    assertEquals(expected, fromSegment[m * n - 1], 1e-4, what + " last element");
                }
            }
        }
    }

    @Test
    void twoProductsInOneSweepEqualTheFirstThenTheSecondAccumulated() {
        SplittableRandom rng = new SplittableRandom(6);
        int before = Parallel.threads();
        try {
            // ragged rows and columns; K of the first product past a K block and not; a second K of 8 (a LoRA rank) and past a block
            int[][] shapes = {{3 * MR + 5, 2 * NR + 7, KC + 9, 8}, {40 * MR, 4 * NR, 2 * KC, KC + 3}, {2, 5 * NR, 50, 8}, {50, 9, 70, 4}};
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2], k2 = s[3];
                for (boolean tb : new boolean[] {false, true}) {
                    for (boolean tb2 : new boolean[] {false, true}) {
                        float[] a = random(rng, m * k), b = random(rng, k * n), a2 = random(rng, m * k2), b2 = random(rng, k2 * n), bias = random(rng, n);
                        float[] c0 = random(rng, m * n);
                        float[] fused = c0.clone(), apart = c0.clone();
                        boolean accumulate = tb != tb2;           // both overwrite and accumulate, over the layouts
                        Gemm.gemm(m, n, k, a, 0, k, new Storage.Heap(b), 0, tb ? k : n, tb, k2, a2, 0, k2, new Storage.Heap(b2), 0, tb2 ? k2 : n, tb2,
                                fused, 0, n, bias, 0, accumulate);
                        Gemm.gemm(m, n, k, a, 0, k, false, b, 0, tb ? k : n, tb, apart, 0, n, bias, 0, accumulate);
                        Gemm.gemm(m, n, k2, a2, 0, k2, false, b2, 0, tb2 ? k2 : n, tb2, apart, 0, n, null, 0, true);
                        String what = java.util.Arrays.toString(s) + " transB " + tb + "/" + tb2;
                        for (int i = 0; i < fused.length; i++) assertEquals(apart[i], fused[i], 1e-5f * (1 + Math.abs(apart[i])), what + " at " + i);
                        Parallel.setThreads(1);
                        float[] one = c0.clone();
                        Gemm.gemm(m, n, k, a, 0, k, new Storage.Heap(b), 0, tb ? k : n, tb, k2, a2, 0, k2, new Storage.Heap(b2), 0, tb2 ? k2 : n, tb2,
                                one, 0, n, bias, 0, accumulate);
                        Parallel.setThreads(before);
                        assertArrayEquals(one, fused, what + ": the same bits on one thread");
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void resultsAreBitwiseIdenticalAcrossRunsAndThreadCounts() {
        int before = Parallel.threads();
        try {
            // Many rows (shared schedule; several K blocks, several column blocks) and few rows
            // (split by columns).
            int[][] shapes = {{20 * MR + 5, 4 * NR + 3, 2 * KC + 11}, {3 * MR + 4, Gemm.NC + NR + 3, 2 * KC + 7},
                    {MR / 2, 20 * NR + 1, KC + 300}, {2000, 8, 3 * KC + 1}};
            for (int[] s : shapes) {
                for (int layout = 0; layout < 4; layout++) {
                    boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
                    Parallel.setThreads(2);
                    float[] first = runFixed(s, ta, tb);
                    for (int run = 0; run < 5; run++) assertArrayEquals(first, runFixed(s, ta, tb), "2 threads, run " + run);
                    Parallel.setThreads(1);
                    assertArrayEquals(first, runFixed(s, ta, tb), "1 thread vs 2 threads, " + java.util.Arrays.toString(s));
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static float[] runFixed(int[] s, boolean ta, boolean tb) {
        SplittableRandom rng = new SplittableRandom(5);
        int m = s[0], n = s[1], k = s[2];
        float[] a = random(rng, m * k), b = random(rng, k * n), c = random(rng, m * n), bias = random(rng, n);
        Gemm.gemm(m, n, k, a, 0, ta ? m : k, ta, b, 0, tb ? k : n, tb, c, 0, n, bias, 0, true);
        return c;
    }

    @Test
    void rejectsOperandsThatDoNotHoldTheirShape() {
        float[] small = new float[5], c = new float[100];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemm(3, 4, 2, small, 0, 2, false, new float[8], 0, 4, false, c, 0, 4, null, 0, false));
        assertTrue(e.getMessage().contains("Gemm: A stored [3, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemm(3, 4, 2, new float[6], 0, 1, false, new float[8], 0, 4, false, c, 0, 4, null, 0, false));
        assertTrue(e.getMessage().contains("leading dimension >= 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemm(3, 4, 2, new float[6], 0, 2, false, new float[8], 0, 4, false, c, 0, 4, new float[3], 0, false));
        assertTrue(e.getMessage().contains("bias"), e.getMessage());
    }

    private static String describe(Problem p, boolean withBias, boolean accumulate) {
        return "m=" + p.m + " n=" + p.n + " k=" + p.k + " transA=" + p.ta + " transB=" + p.tb + " bias=" + withBias + " accumulate=" + accumulate;
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rng.nextDouble() * 2 - 1);
        return x;
    }
}
