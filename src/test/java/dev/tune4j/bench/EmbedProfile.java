package dev.tune4j.bench;

import dev.tune4j.cli.BenchEmbedCommand;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * The encoder forward of bench embed, timed by this thread's CPU time when it runs on one thread:
 * on a shared machine that is what a forward costs without the other tenants' load (wall time
 * for more threads). Run under a sampling profiler (perf + -XX:+DumpPerfMapAtExit) to see where
 * it goes. Not a test. Arguments: threads runs.
 */
public final class EmbedProfile {
    public static void main(String[] args) throws Exception {
        int batch = 32, seq = 128, threads = args.length > 0 ? Integer.parseInt(args[0]) : 1, runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Parallel.setThreads(threads);
        var mx = ManagementFactory.getThreadMXBean();
        try (PretrainedModel m = ModelLoader.load("builtin:all-minilm-l6-v2")) {
            Transformer t = m.model();
            t.train(false);
            int[][] mask = new int[batch][seq];
            for (int[] row : mask) Arrays.fill(row, 1);
            TokenBatch in = new TokenBatch(BenchEmbedCommand.syntheticIds(batch, seq, t.config.vocabSize), batch, seq, mask, null, null);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            double best = Double.MAX_VALUE;
            for (int r = 0; r < runs; r++) {
                long c0 = threads == 1 ? mx.getCurrentThreadCpuTime() : System.nanoTime(), p0 = os.getProcessCpuTime();
                t.hidden(in);
                double ms = ((threads == 1 ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - c0) / 1e6;
                best = Math.min(best, ms);
                System.out.printf("run %d: %.1f ms%s (process cpu %.1f ms)%n", r, ms, threads == 1 ? " cpu" : " wall", (os.getProcessCpuTime() - p0) / 1e6);
            }
            System.out.printf("best %.1f ms = %.0f tokens/s%n", best, batch * seq / (best / 1e3));
        }
    }
}
