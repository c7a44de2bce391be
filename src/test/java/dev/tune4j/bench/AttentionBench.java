package dev.tune4j.bench;

import dev.tune4j.kernel.AttentionKernel;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.tensor.Tensor;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

/** AttentionKernel.forward at the MiniLM shape (B=32, T=S=128, 12 heads of 32), one thread, CPU time. Not a test. */
public final class AttentionBench {
    public static void main(String[] args) {
        Parallel.setThreads(1);
        int B = 32, T = 128, H = 12, Dh = 32, runs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        SplittableRandom rng = new SplittableRandom(1);
        float[] q = Tensor.randn(rng, 1f, B, T, H, Dh).data(), k = Tensor.randn(rng, 1f, B, T, H, Dh).data(), v = Tensor.randn(rng, 1f, B, T, H, Dh).data();
        float[] out = new float[q.length];
        int[][] mask = new int[B][T];
        for (int[] r : mask) Arrays.fill(r, 1);
        AttentionMask m = new AttentionMask(false, mask);
        AttentionKernel.Dims d = new AttentionKernel.Dims(B, T, T, H, H, Dh);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long c0 = mx.getCurrentThreadCpuTime(), a0 = mx.getCurrentThreadAllocatedBytes();
            AttentionKernel.forward(d, q, k, v, m, 0.17f, out, null);
            double ms = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
            best = Math.min(best, ms);

            if (i % 5 == 4) System.out.printf("run %d: %.2f ms cpu, %d B allocated%n", i, ms, mx.getCurrentThreadAllocatedBytes() - a0);
        }
        double flops = 4.0 * B * H * T * T * Dh;
        System.out.printf("best %.2f ms cpu = %.1f GFLOP/s (matmul flops only)%n", best, flops / best / 1e6);
    }
}
