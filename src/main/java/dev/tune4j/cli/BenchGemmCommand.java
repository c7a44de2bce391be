package dev.tune4j.cli;

import dev.tune4j.kernel.Gemm;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * GEMM throughput per layout: nn = A·B, nt = A·Bᵀ (Linear forward), tn = Aᵀ·B (weight gradient).
 * Operands are stored as the layout reads them (nt takes B as [n, k], tn takes A as [k, m]), as in
 * bench/numpy_gemm.py, so the figures compare directly.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true, description = "GEMM throughput (GFLOP/s) for each layout.")
public final class BenchGemmCommand implements Runnable {
    private static final int MAX_RUNS = 10_000;
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final double MAX_FLOPS = 1e14;
    private static final int[][] DEFAULT_SIZES = {{1024, 768, 768}, {1024, 3072, 768}, {1024, 768, 3072}, {2048, 2048, 2048}};

    @Option(names = "--m", description = "Rows of C (default: the four standard sizes).")
    Integer m;

    @Option(names = "--n", description = "Columns of C (default: --m).")
    Integer n;

    @Option(names = "--k", description = "Inner dimension (default: --m).")
    Integer k;

    @Option(names = "--threads", split = ",", description = "Thread counts, comma-separated (default: 1 and all cores).")
    int[] threads;

    @Option(names = "--layout", defaultValue = "all", description = "all, nn, nt or tn (default: ${DEFAULT-VALUE}).")
    String layout;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed runs per case after the global warm-up (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--runs", defaultValue = "9", description = "Timed runs per case; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--json", description = "One JSON object per result.")
    boolean json;

    @Override
    public void run() {
        List<String> layouts = switch (layout) {
            case "all" -> List.of("nn", "nt", "tn");
            case "nn", "nt", "tn" -> List.of(layout);
            default -> throw new IllegalArgumentException("--layout must be all, nn, nt or tn, got '" + layout + "'");
        };
        if (runs < 1 || runs > MAX_RUNS) throw new IllegalArgumentException("--runs must be in [1, " + MAX_RUNS + "], got " + runs);
        if (warmup < 0 || warmup > MAX_RUNS) throw new IllegalArgumentException("--warmup must be in [0, " + MAX_RUNS + "], got " + warmup);
        int[][] sizes;
        if (m == null && n == null && k == null) {
            sizes = DEFAULT_SIZES;
        } else {
            int mm = m != null ? m : n != null ? n : k;
            sizes = new int[][] {{mm, n != null ? n : mm, k != null ? k : mm}};
        }
        for (int[] s : sizes) {
            requireFits(s[0], s[1], s[2]);
            requireFinishes(s[0], s[1], s[2], warmup + runs);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int[] counts = threads != null ? threads : (cores == 1 ? new int[] {1} : new int[] {1, cores});
        for (int t : counts) {
            if (t < 1 || t > Parallel.MAX_THREADS) throw new IllegalArgumentException("--threads must be in [1, " + Parallel.MAX_THREADS + "], got " + t);
        }

        int before = Parallel.threads();
        try {
            for (int t : counts) {
                Parallel.setThreads(t);
                Gemm.warmUp();
            }
            if (!json) System.out.printf("%-6s %6s %6s %6s %8s %10s %10s%n", "layout", "m", "n", "k", "threads", "GFLOP/s", "best");
            for (int t : counts) {
                Parallel.setThreads(t);
                for (int[] s : sizes) {
                    for (String l : layouts) {
                        double[] g = measure(l, s[0], s[1], s[2]);
                        double gflops = g[0];
                        if (json) {
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("layout", l);
                            row.put("m", s[0]);
                            row.put("n", s[1]);
                            row.put("k", s[2]);
                            row.put("threads", t);
                            row.put("gflops", Math.round(gflops * 100) / 100.0);
                            row.put("gflops_best", Math.round(g[1] * 100) / 100.0);
                            row.put("impl", "tune4j");
                            System.out.println(Json.line(row));
                        } else {
                            System.out.printf("%-6s %6d %6d %6d %8d %10.1f %10.1f%n", l, s[0], s[1], s[2], t, gflops, g[1]);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * Sizes the request before allocating it: each operand must fit a Java array and the three
     * together the heap, or the command says how much it would need instead of failing in the allocator.
     */
    static void requireFits(int m, int n, int k) {
        String dims = "--m " + m + " --n " + n + " --k " + k;
        if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("sizes must be >= 1, got " + dims);
        long a = (long) m * k, b = (long) k * n, c = (long) m * n;
        long largest = Math.max(a, Math.max(b, c)), bytes = 4 * (a + b + c), heap = Runtime.getRuntime().maxMemory();
        String need = String.format("%s needs %.1f GB for A, B and C", dims, bytes / 1e9);
        if (largest > MAX_ARRAY) throw new IllegalArgumentException(need + ", and one matrix of " + largest + " floats is more than a Java array holds (" + MAX_ARRAY + ")");
        if (bytes > heap * 0.9) {
            throw new IllegalArgumentException(String.format("%s, more than the %.1f GB heap (give Java more with TUNE4J_JAVA_OPTS=-Xmx<size>, or ask for less)",
                    need, heap / 1e9));
        }
    }

    /**
     * Refuses a request that would run for hours: more than {@value #MAX_FLOPS} floating-point
     * operations over all its runs (about half an hour at 50 GFLOP/s), which is a typo, not a benchmark.
     */
    static void requireFinishes(int m, int n, int k, int runs) {
        double flops = 2.0 * m * n * k * runs;
        if (flops > MAX_FLOPS) {
            throw new IllegalArgumentException(String.format("--m %d --n %d --k %d over %d runs (--warmup and --runs) is %.1e floating-point"
                    + " operations, more than the %.0e a benchmark may take (about half an hour at 50 GFLOP/s); ask for smaller sizes or fewer runs",
                    m, n, k, runs, flops, MAX_FLOPS));
        }
    }

    /** Median and best GFLOP/s over the timed runs. */
    private double[] measure(String layout, int m, int n, int k) {
        boolean ta = layout.equals("tn"), tb = layout.equals("nt");
        SplittableRandom rng = new SplittableRandom(42);
        float[] a = random(rng, m * k), b = random(rng, k * n), c = new float[m * n];
        Runnable f = () -> Gemm.gemm(m, n, k, a, 0, ta ? m : k, ta, b, 0, tb ? k : n, tb, c, 0, n, null, 0, false);
        for (int i = 0; i < warmup; i++) f.run();
        double[] seconds = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            f.run();
            seconds[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(seconds);
        double flops = 2.0 * m * n * k;
        return new double[] {flops / seconds[runs / 2] / 1e9, flops / seconds[0] / 1e9};
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rng.nextDouble() * 2 - 1);
        return x;
    }
}
