package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Throughput of the non-GEMM kernels (prints only; excluded from normal runs). Run with
 * {@code mvn test -Dtest=KernelBenchTest -Dtest.excludedGroups=}.
 */
@Tag("slow-bench")
class KernelBenchTest {

    interface Body { void run(); }

    /**
     * Median over 7 timed rounds, after warm-up, in ns per call. On 1 thread this is the calling
     * thread's CPU time, which a machine shared with other work inflates less than wall time.
     */
    static double time(Body b, int callsPerRound) {
        for (int i = 0; i < 3 * callsPerRound; i++) b.run();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean cpu = Parallel.threads() == 1;
        double[] t = new double[7];
        for (int r = 0; r < t.length; r++) {
            long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            for (int i = 0; i < callsPerRound; i++) b.run();
            t[r] = ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / (double) callsPerRound;
        }
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }

    static float[] randn(int n, float std) {
        SplittableRandom rng = new SplittableRandom(1);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rng.nextGaussian() * std);
        return a;
    }

    @Test
    void exp() {
        int before = Parallel.threads();
        Parallel.setThreads(1);
        try {
            expOnOneThread();
        } finally {
            Parallel.setThreads(before);
        }
    }

    private void expOnOneThread() {
        int n = 1 << 16;
        float[] x = randn(n, 10f), y = new float[n];
        double own = time(() -> {
            for (int i = 0; i < n; i += L) VMath.exp(FloatVector.fromArray(F, x, i)).intoArray(y, i);
        }, 2000) / n;
        double lanewise = time(() -> {
            for (int i = 0; i < n; i += L) FloatVector.fromArray(F, x, i).lanewise(VectorOperators.EXP).intoArray(y, i);
        }, 2000) / n;
        double scalar = time(() -> {
            for (int i = 0; i < n; i++) y[i] = (float) Math.exp(x[i]);
        }, 200) / n;
        System.out.printf("BENCH exp (1 thread, %d lanes): VMath.exp %.3f ns/elem, lanewise(EXP) %.3f ns/elem, Math.exp %.3f ns/elem%n",
                L, own, lanewise, scalar);
    }

    @Test
    void rowKernels() {
        for (int threads : new int[] {1, Runtime.getRuntime().availableProcessors()}) {
            int before = Parallel.threads();
            Parallel.setThreads(threads);
            try {
                int rows = 2048, dim = 768, n = rows * dim;
                float[] x = randn(n, 1f), y = new float[n], dy = randn(n, 1f), dx = new float[n];
                float[] g = randn(dim, 1f), b = randn(dim, 1f), dg = new float[dim], db = new float[dim];
                float[] mean = new float[rows], rstd = new float[rows];
                report(threads, "gelu(erf) forward [2048x768]", n, time(() -> Activations.forward(Activations.Kind.GELU_ERF, x, y, n), 50));
                report(threads, "gelu(erf) backward", n, time(() -> Activations.backward(Activations.Kind.GELU_ERF, x, dy, dx, n), 50));
                report(threads, "gelu(tanh) forward", n, time(() -> Activations.forward(Activations.Kind.GELU_TANH, x, y, n), 50));
                report(threads, "layernorm forward [2048x768]", n, time(() -> Norms.forward(true, x, g, b, y, mean, rstd, rows, dim, 1e-5f), 50));
                report(threads, "layernorm backward (dx, dgamma, dbeta)", n, time(() -> Norms.backward(true, x, g, mean, rstd, dy, dx, dg, db, rows, dim), 50));
                report(threads, "softmax forward [2048x768]", n, time(() -> Softmax.forward(x, y, rows, dim), 50));
                int ceRows = 8, vocab = 150_000, cn = ceRows * vocab;
                float[] logits = randn(cn, 2f), dl = new float[cn], stats = new float[2 * ceRows];
                int[] targets = new SplittableRandom(2).ints(ceRows, 0, vocab).toArray();
                report(threads, "cross-entropy forward [8x150000]", cn, time(() -> CrossEntropyKernel.forward(logits, ceRows, vocab, targets, -100, null, stats), 20));
                report(threads, "cross-entropy backward", cn, time(() -> CrossEntropyKernel.backward(logits, stats, ceRows, vocab, targets, -100, null, 0.125f, dl), 20));
            } finally {
                Parallel.setThreads(before);
            }
        }
    }

    static void report(int threads, String what, int elems, double ns) {
        System.out.printf("BENCH %-42s threads=%d  %8.3f ms  %.3f ns/elem (%s)%n", what, threads, ns / 1e6, ns / elems,
                threads == 1 ? "thread CPU time" : "wall time");
    }
}
