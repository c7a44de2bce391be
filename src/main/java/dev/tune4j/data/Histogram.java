package dev.tune4j.data;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A length histogram over power-of-two bins [0,1), [1,2), [2,4), [4,8), ... (text lengths are
 * long-tailed: equal-width bins would put nearly everything in the first one), with summary figures.
 */
public record Histogram(long[] edges, long[] counts, long n, long min, long max, double mean, long median, long p95) {

    /** Bin edges covering 0..max: 0, 1, 2, 4, ..., the first power of two above max. */
    public static long[] edgesUpTo(long max) {
        int bins = 1;
        while ((1L << (bins - 1)) <= max) bins++;
        long[] e = new long[bins + 1];
        e[0] = 0;
        for (int i = 1; i <= bins; i++) e[i] = 1L << (i - 1);
        return e;
    }

    public static Histogram of(int[] values, long[] edges) {
        long[] counts = new long[edges.length - 1];
        int[] sorted = values.clone();
        Arrays.sort(sorted);
        long sum = 0;
        for (int v : sorted) {
            sum += v;
            int b = Arrays.binarySearch(edges, v);
            b = b >= 0 ? b : -b - 2;
            counts[Math.min(Math.max(b, 0), counts.length - 1)]++;
        }
        int n = sorted.length;
        return new Histogram(edges, counts, n,
                n == 0 ? 0 : sorted[0], n == 0 ? 0 : sorted[n - 1], n == 0 ? 0 : (double) sum / n,
                n == 0 ? 0 : sorted[(n - 1) / 2], n == 0 ? 0 : sorted[(int) Math.min(n - 1, Math.ceil(0.95 * n) - 1)]);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", n);
        m.put("min", min);
        m.put("median", median);
        m.put("mean", Math.round(mean * 10) / 10.0);
        m.put("p95", p95);
        m.put("max", max);
        m.put("bin_edges", edges);
        m.put("counts", counts);
        return m;
    }
}
