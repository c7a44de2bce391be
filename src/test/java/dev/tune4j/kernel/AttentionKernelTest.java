package dev.tune4j.kernel;

import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kernel on shapes larger than a gradient check can afford: more than one backward query
 * tile (32 rows), more than one row block (64 keys), several 4-vector key blocks, GQA, causal
 * alignment with S > T and padding together, against float64 forward and backward.
 */
class AttentionKernelTest {

    private static final class Problem {
        final AttentionKernel.Dims d;
        final float[] q, k, v, dOut;
        final AttentionMask mask;
        final float scale;
        final AttentionReference ref;

        Problem(int B, int T, int S, int Hq, int Hkv, int Dh, boolean causal, int[][] keyValid, long seed) {
            this(B, T, S, Hq, Hkv, Dh, new AttentionMask(causal, keyValid), seed);
        }

        Problem(int B, int T, int S, int Hq, int Hkv, int Dh, AttentionMask mask, long seed) {
            SplittableRandom rng = new SplittableRandom(seed);
            d = new AttentionKernel.Dims(B, T, S, Hq, Hkv, Dh);
            q = Tensor.randn(rng, 1f, B, T, Hq, Dh).data();
            k = Tensor.randn(rng, 1f, B, S, Hkv, Dh).data();
            v = Tensor.randn(rng, 1f, B, S, Hkv, Dh).data();
            dOut = Tensor.randn(rng, 1f, B, T, Hq, Dh).data();
            this.mask = mask;
            scale = (float) (1 / Math.sqrt(Dh));
            ref = new AttentionReference(B, T, S, Hq, Hkv, Dh, mask.causal(), mask.keyValid(), scale, mask.past(), mask.segments());
        }

        float[][] run() {
            float[] out = new float[q.length], lse = new float[d.batch() * d.queryHeads() * d.queries()];
            AttentionKernel.forward(d, q, k, v, mask, scale, out, lse);
            float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
            AttentionKernel.backward(d, q, k, v, mask, scale, out, lse, dOut, dq, dk, dv);
            return new float[][] {out, lse, dq, dk, dv};
        }
    }

    /** Rows of [B][S] with the first (left) or last (right) `pad` keys of each row padded. */
    static int[][] padded(int B, int S, boolean left, int... pad) {
        int[][] m = new int[B][S];
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) m[b][s] = (left ? s >= pad[b] : s < S - pad[b]) ? 1 : 0;
        return m;
    }

    private static void assertClose(double[] expected, float[] actual, double tol, String what) {
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            assertFalse(Float.isNaN(actual[i]), what + ": NaN at " + i);
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxErr <= tol * Math.max(1, maxRef), what + ": max abs error " + maxErr + " (max |ref| " + maxRef + ")");
    }

    @Test
    void forwardAndBackwardMatchFloat64AcrossTilesBlocksAndMasks() {
        // T = 70 spans three query tiles; S = 150 keys with padding leaves > 64 visible keys.
        assertMatchesFloat64(new Problem(2, 70, 150, 4, 2, 80, true, padded(2, 150, true, 9, 0), 7));
    }

    private static void assertMatchesFloat64(Problem p) {
        float[][] r = p.run();
        assertClose(p.ref.forward(p.q, p.k, p.v), r[0], 2e-5, "out");
        double[][] g = p.ref.backward(p.q, p.k, p.v, p.dOut);
        assertClose(g[0], r[2], 5e-5, "dq");
        assertClose(g[1], r[3], 5e-5, "dk");
        assertClose(g[2], r[4], 5e-5, "dv");
    }

    @Test
    void packedExamplesAttendOnlyWithinTheirOwnSegment() {
        // Row 0: examples of 30, 45 and 25 tokens; row 1: 70 then 20 tokens, then 10 of padding in a segment
        // of its own (as a collated batch pads packed rows): its queries see no valid key.
        int T = 100;
        int[][] seg = new int[2][T];
        for (int t = 0; t < T; t++) {
            seg[0][t] = t < 30 ? 0 : t < 75 ? 1 : 2;
            seg[1][t] = t < 70 ? 0 : t < 90 ? 1 : Integer.MAX_VALUE;
        }
        assertMatchesFloat64(new Problem(2, T, T, 4, 2, 40, AttentionMask.packed(seg, padded(2, T, false, 0, 10)), 11));
    }

    @Test
    void aCacheBufferSeesOnlyItsFilledPastAndTheNewQueries() {
        // 90 keys of buffer, 37 already filled, 5 new queries: keys 42.. are never seen; row 1 has 3 keys of left padding.
        int[][] valid = new int[2][90];
        for (int b = 0; b < 2; b++) for (int s = b == 1 ? 3 : 0; s < 42; s++) valid[b][s] = 1;
        assertMatchesFloat64(new Problem(2, 5, 90, 6, 2, 64, AttentionMask.cached(37, valid), 12));
    }

    @Test
    void largeHeadWithoutMaskMatchesFloat64() {
        assertMatchesFloat64(new Problem(1, 33, 97, 2, 2, 128, false, null, 8));
    }

    @Test
    void logsumexpIsMinusInfinityForARowThatSeesNoKey() {
        // Left padding of 4 with causal masking: queries 0..3 only see padded keys.
        Problem p = new Problem(1, 7, 7, 1, 1, 32, true, padded(1, 7, true, 4), 9);
        float[][] r = p.run();
        for (int t = 0; t < 7; t++) {
            if (t < 4) assertEquals(Float.NEGATIVE_INFINITY, r[1][t], "lse of row " + t);
            else assertTrue(Float.isFinite(r[1][t]), "lse of row " + t);
        }
    }

    @Test
    void resultsAreBitwiseIdenticalAcrossRunsAndThreadCounts() {
        int before = Parallel.threads();
        try {
            Problem p = new Problem(3, 37, 41, 8, 2, 32, true, padded(3, 41, false, 0, 5, 41), 10);
            Parallel.setThreads(2);
            float[][] a = p.run(), b = p.run();
            Parallel.setThreads(1);
            float[][] c = p.run();
            for (int i = 0; i < a.length; i++) {
                assertArrayEquals(a[i], b[i], "output " + i + " differs between two runs with 2 threads");
                assertArrayEquals(a[i], c[i], "output " + i + " differs between 2 threads and 1");
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** The problem of {@link #interpretedAndCompiledGiveTheSameBits}, its results as float bits on one line each. */
    static String bitsOfSmallProblem() {
        Problem p = new Problem(2, 13, 21, 4, 2, 32, true, padded(2, 21, true, 3, 0), 11);
        StringBuilder sb = new StringBuilder();
        for (float[] a : p.run()) {
            for (float x : a) sb.append(Integer.toHexString(Float.floatToRawIntBits(x))).append(' ');
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Names the first differing element rather than printing every bit. */
    private static void assertSameBits(String expected, String actual, String what) {
        String[] e = expected.split("\n"), a = actual.split("\n");
        String[] names = {"out", "lse", "dq", "dk", "dv"};
        assertEquals(e.length, a.length, what + ": number of outputs");
        for (int i = 0; i < e.length; i++) {
            String[] ei = e[i].trim().split(" "), ai = a[i].trim().split(" ");
            assertEquals(ei.length, ai.length, what + ": size of " + names[i]);
            for (int j = 0; j < ei.length; j++) {
                if (!ei[j].equals(ai[j])) {
                    fail(what + ": " + names[i] + "[" + j + "] is " + Float.intBitsToFloat((int) Long.parseLong(ai[j], 16))
                            + ", expected " + Float.intBitsToFloat((int) Long.parseLong(ei[j], 16)));
                }
            }
        }
    }

    /** Entry point of the interpreted JVM started by {@link #interpretedAndCompiledGiveTheSameBits}. */
    public static final class Interpreted {
        public static void main(String[] args) {
            Parallel.setThreads(1);
            System.out.print(bitsOfSmallProblem());
        }
    }

    @Test
    void interpretedAndCompiledGiveTheSameBits() throws Exception {
        // A JVM running everything in the interpreter (-Xint: each vector op through its per-lane
        // Java fallback) against this one after 2000 calls (C2-compiled): the results must be
        // bitwise equal, so warm-up never changes a model's output.
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process proc = new ProcessBuilder(javaBin, "-Xint", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Interpreted.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String interpreted = new String(proc.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertEquals(0, proc.waitFor(), "the interpreted JVM failed");
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            String cold = bitsOfSmallProblem();
            for (int i = 0; i < 2000; i++) bitsOfSmallProblem();
            String warm = bitsOfSmallProblem();
            assertSameBits(cold, warm, "results changed during JIT warm-up");
            assertSameBits(interpreted, warm, "the interpreter and the compiled kernels differ");
        } finally {
            Parallel.setThreads(before);
        }
    }
}
