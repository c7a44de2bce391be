package dev.tune4j.cli;

import dev.tune4j.data.DataPipeline;
import dev.tune4j.data.PrepareConfig;
import dev.tune4j.data.PrepareResult;
import dev.tune4j.data.PreparedWriter;
import dev.tune4j.data.SyntheticRows;
import dev.tune4j.data.dedup.NearDuplicates;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.report.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench-dedup", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Near-duplicate detection throughput (MinHash + LSH + exact verification) on generated rows.",
                "Rows of 10-100 words from a Zipf vocabulary, with planted near and exact copies; timed per run, median reported.",
                "Also checks the result: every dropped row at or above the threshold against a kept representative,",
                "and the share of planted copies at or above the threshold that were found (recall)."})
public final class DataBenchDedupCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Generated rows live in memory: 100 million is past any heap this runs in. */
    private static final int MAX_ROWS = 100_000_000;

    @Option(names = "--rows", defaultValue = "1000000", description = "Rows to generate (default ${DEFAULT-VALUE}).") int rows;
    @Option(names = "--runs", defaultValue = "3", description = "Timed runs (default ${DEFAULT-VALUE}).") int runs;
    @Option(names = "--near-share", defaultValue = "0.1", description = "Share of rows that are edited copies (default ${DEFAULT-VALUE}).") double nearShare;
    @Option(names = "--exact-share", defaultValue = "0.02", description = "Share of rows that are unedited copies (default ${DEFAULT-VALUE}).") double exactShare;
    @Option(names = "--threshold", defaultValue = "0.8") double threshold;
    @Option(names = "--shingle", defaultValue = "word:3") String shingle;
    @Option(names = "--minhash-perm", defaultValue = "128") int numPerm;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--pipeline", description = "Also time the whole 'data prepare' (read JSONL, clean, filter, deduplicate, split, check leakage, write) on the same rows, once.")
    boolean pipeline;
    @Option(names = "--json", description = "One JSON object per run and one for the summary.") boolean json;

    @Override
    public Integer call() {
        if (rows < 1 || rows > MAX_ROWS) throw new IllegalArgumentException("--rows must be in [1, " + MAX_ROWS + "], got " + rows);
        if (runs < 1 || runs > 1000) throw new IllegalArgumentException("--runs must be in [1, 1000], got " + runs);
        if (!(nearShare >= 0 && exactShare >= 0 && nearShare + exactShare <= 1)) {
            throw new IllegalArgumentException("--near-share and --exact-share must be >= 0 and add up to at most 1, got " + nearShare + " and " + exactShare);
        }
        PrintWriter o = spec.commandLine().getOut();
        NearDuplicates.Config cfg = NearDuplicates.Config.of(shingle, threshold, numPerm, 0, 42);
        long g0 = System.nanoTime();
        SyntheticRows.Rows data = SyntheticRows.generate(rows, nearShare, exactShare, seed);
        double genSeconds = (System.nanoTime() - g0) / 1e9;
        if (!json) {
            o.printf("bench-dedup: %d rows (%.0f%% edited copies, %.0f%% exact copies), threshold %.2f, %s shingles, %d threads, generated in %.1f s%n",
                    rows, 100 * nearShare, 100 * exactShare, threshold, shingle, Parallel.threads(), genSeconds);
            o.flush();
        }
        List<double[]> results = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            System.gc();
            long cpu0 = cpuNanos(), t0 = System.nanoTime();
            NearDuplicates index = NearDuplicates.index(data.texts(), cfg);
            long t1 = System.nanoTime();
            NearDuplicates.Result res = index.deduplicate();
            long t2 = System.nanoTime(), cpu1 = cpuNanos();
            // check: every dropped row is at or above the threshold against a kept row
            long violations = 0;
            for (int i = 0; i < rows; i++) {
                int rep = res.representativeOf(i);
                if (rep < 0) continue;
                if (res.representativeOf(rep) >= 0 || index.jaccard(i, rep) < threshold) violations++;
            }
            // recall on planted copies that really are at or above the threshold
            long eligible = 0, found = 0;
            for (int i = 0; i < rows; i++) {
                int src = data.copyOf()[i];
                if (src < 0 || index.jaccard(i, src) < threshold) continue;
                eligible++;
                if (res.representativeOf(i) >= 0) found++;
            }
            double wall = (t2 - t0) / 1e9, cpu = (cpu1 - cpu0) / 1e9;
            results.add(new double[] {wall, (t1 - t0) / 1e9, (t2 - t1) / 1e9, cpu});
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("run", run);
            m.put("rows", rows);
            m.put("seconds", round(wall));
            m.put("index_seconds", round((t1 - t0) / 1e9));
            m.put("cluster_seconds", round((t2 - t1) / 1e9));
            m.put("cpu_seconds", round(cpu));
            m.put("rows_per_second", Math.round(rows / wall));
            m.put("dropped", res.dropped());
            m.put("candidate_pairs", res.candidatePairs());
            m.put("planted_at_or_above_threshold", eligible);
            m.put("planted_found", found);
            m.put("recall", eligible == 0 ? 1.0 : round((double) found / eligible));
            m.put("violations", violations);
            m.put("bands", index.bands);
            m.put("rows_per_band", index.rowsPerBand);
            if (json) {
                o.println(Json.line(m));
            } else {
                o.printf("  run %d: %.1f s (index %.1f s, cluster %.1f s, %.1f s CPU), %,d rows/s, dropped %,d, %,d candidate pairs, recall %.4f (%,d/%,d), violations %d%n",
                        run, wall, (t1 - t0) / 1e9, (t2 - t1) / 1e9, cpu, Math.round(rows / wall), res.dropped(), res.candidatePairs(),
                        eligible == 0 ? 1.0 : (double) found / eligible, found, eligible, violations);
            }
            o.flush();
            if (violations > 0) throw new IllegalStateException(violations + " dropped rows are below the threshold against their representative");
        }
        double medWall = median(results, 0), medCpu = median(results, 3);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("summary", true);
        s.put("rows", rows);
        s.put("runs", runs);
        s.put("threads", Parallel.threads());
        s.put("median_seconds", round(medWall));
        s.put("median_cpu_seconds", round(medCpu));
        s.put("median_rows_per_second", Math.round(rows / medWall));
        s.put("generate_seconds", round(genSeconds));
        if (json) o.println(Json.line(s));
        else o.printf("  median of %d: %.1f s wall, %.1f s CPU, %,d rows/s on %d threads%n", runs, medWall, medCpu, Math.round(rows / medWall), Parallel.threads());
        o.flush();
        if (pipeline) runPipeline(data, o);
        return 0;
    }

    /** The whole prepare on the generated rows, written as JSONL to a temporary folder (deleted afterwards). */
    private void runPipeline(SyntheticRows.Rows data, PrintWriter o) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("tune4j-bench-dedup");
            Path in = tmp.resolve("rows.jsonl");
            try (BufferedWriter w = Files.newBufferedWriter(in)) {
                for (String t : data.texts()) {
                    w.write(Json.line(Map.of("text", t)));
                    w.write('\n');
                }
            }
            PrepareConfig cfg = new PrepareConfig();
            cfg.inputs = List.of(in);
            cfg.out = tmp.resolve("out");
            cfg.near = cfg.near.withThreshold(threshold);
            System.gc();
            long cpu0 = cpuNanos(), t0 = System.nanoTime();
            PrepareResult res = DataPipeline.run(cfg);
            PreparedWriter.write(res, cfg);
            double wall = (System.nanoTime() - t0) / 1e9, cpu = (cpuNanos() - cpu0) / 1e9;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pipeline", true);
            m.put("rows_in", res.rowsIn);
            m.put("rows_out", res.rowsOut());
            m.put("exact_duplicates", res.count("exact_duplicates"));
            m.put("near_duplicates", res.count("near_duplicates"));
            m.put("seconds", round(wall));
            m.put("cpu_seconds", round(cpu));
            m.put("stage_seconds", res.seconds);
            if (json) o.println(Json.line(m));
            else o.printf("  whole data prepare: %.1f s wall, %.1f s CPU; %,d rows in, %,d out (%,d exact, %,d near duplicates); stages %s%n",
                    wall, cpu, res.rowsIn, res.rowsOut(), res.count("exact_duplicates"), res.count("near_duplicates"), res.seconds);
            o.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static void deleteTree(Path p) {
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is not worth failing the benchmark
        }
    }

    private static long cpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) return os.getProcessCpuTime();
        return 0;
    }

    private static double median(List<double[]> r, int k) {
        double[] v = r.stream().mapToDouble(x -> x[k]).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
