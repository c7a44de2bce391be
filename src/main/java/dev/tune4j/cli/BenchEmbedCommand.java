package dev.tune4j.cli;

import dev.tune4j.kernel.Parallel;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Encoder forward throughput: the last hidden states of a fixed synthetic batch (every row exactly
 * {@code --seq} tokens, attention mask all ones), in inference mode (no tape). The same batch is
 * fed to ONNX Runtime by the test-scope harness {@code dev.tune4j.bench.OrtEmbedBench}, so the
 * two figures compare directly.
 */
@Command(name = "embed", mixinStandardHelpOptions = true, description = "Encoder forward throughput (tokens/s).")
public final class BenchEmbedCommand implements Callable<Integer> {
    /** Tokens in one forward pass: beyond this the activations alone outgrow any heap. */
    private static final long MAX_TOKENS = 1 << 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "builtin:all-minilm-l6-v2", paramLabel = "MODEL", description = ModelOptions.MODEL_HELP + " (default: ${DEFAULT-VALUE})")
    String model;

    @Mixin
    ModelOptions options = new ModelOptions();

    @Option(names = "--batch", defaultValue = "32", description = "rows per forward pass (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seq", defaultValue = "128", description = "tokens per row (default: ${DEFAULT-VALUE})")
    int seq;

    @Option(names = "--threads", defaultValue = "2", description = "worker threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--warmup", defaultValue = "10", description = "untimed forward passes first, so that C2 has compiled every kernel (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--runs", defaultValue = "15", description = "timed forward passes; the median is reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--json", description = "one JSON object: model, batch, seq, threads, tokens_per_s, ms_per_batch")
    boolean json;

    /** The synthetic input ids, shared with the ONNX Runtime harness: [batch * seq], deterministic. */
    public static int[] syntheticIds(int batch, int seq, int vocab) {
        // Ids from 1000 up skip BERT's special and unused tokens; the values do not affect speed.
        int lo = Math.min(1000, vocab - 1);
        SplittableRandom rng = new SplittableRandom(20240601L);
        int[] ids = new int[batch * seq];
        for (int i = 0; i < ids.length; i++) ids[i] = lo + rng.nextInt(vocab - lo);
        return ids;
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (seq < 1) throw new IllegalArgumentException("--seq must be at least 1, got " + seq);
        if ((long) batch * seq > MAX_TOKENS) throw new IllegalArgumentException("--batch x --seq must be at most " + MAX_TOKENS + " tokens, got " + batch + " x " + seq);
        if (threads < 1 || threads > Parallel.MAX_THREADS) throw new IllegalArgumentException("--threads must be in [1, " + Parallel.MAX_THREADS + "], got " + threads);
        if (warmup < 0 || warmup > 10_000) throw new IllegalArgumentException("--warmup must be in [0, 10000], got " + warmup);
        if (runs < 1 || runs > 10_000) throw new IllegalArgumentException("--runs must be in [1, 10000], got " + runs);
        PrintWriter out = spec.commandLine().getOut();
        int before = Parallel.threads();
        try (PretrainedModel m = ModelLoader.load(model, options.toLoaderOptions())) {
            Transformer t = m.model();
            t.train(false);
            int[][] mask = new int[batch][seq];
            for (int[] row : mask) Arrays.fill(row, 1);
            TokenBatch input = new TokenBatch(syntheticIds(batch, seq, t.config.vocabSize), batch, seq, mask, null, null);
            Parallel.setThreads(threads);
            for (int i = 0; i < warmup; i++) t.hidden(input);
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                t.hidden(input);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            double median = ms[runs / 2];
            double tokensPerS = batch * (double) seq / (median / 1e3);
            if (json) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("impl", "tune4j");
                row.put("model", model);
                row.put("batch", batch);
                row.put("seq", seq);
                row.put("threads", threads);
                row.put("tokens_per_s", Math.round(tokensPerS));
                row.put("ms_per_batch", Math.round(median * 100) / 100.0);
                row.put("ms_best", Math.round(ms[0] * 100) / 100.0);
                out.println(Json.line(row));
            } else {
                out.printf("%s: batch %d x %d tokens, %d threads: %.0f tokens/s (median %.2f ms per batch, best %.2f ms, %d runs)%n",
                        model, batch, seq, threads, tokensPerS, median, ms[0], runs);
            }
            out.flush();
        } finally {
            Parallel.setThreads(before);
        }
        return 0;
    }
}
