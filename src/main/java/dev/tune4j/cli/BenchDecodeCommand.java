package dev.tune4j.cli;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.generate.Generator;
import dev.tune4j.generate.Sampling;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.model.ModelPresets;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Decode speed of a real model shape with random weights. Decoding one token reads every weight
 * once, so it is bound by memory bandwidth: the report states the bytes of weights read per token
 * and the fraction of the machine's measured read bandwidth that decoding reaches.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Decode tokens/s of a model shape (random weights; f32 and bf16 weights), against memory bandwidth.")
public final class BenchDecodeCommand implements Runnable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Option(names = "--preset", defaultValue = "smollm2-135m", description = "gpt2-124m or smollm2-135m (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--dtype", split = ",", defaultValue = "f32,bf16", description = "weight storage: f32, bf16 (default: ${DEFAULT-VALUE})")
    List<String> dtypes;

    @Option(names = "--prompt-tokens", defaultValue = "32", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--tokens", defaultValue = "64", description = "tokens decoded per run (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--runs", defaultValue = "3", description = "timed runs; the median is reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "one JSON object per dtype")
    boolean json;

    @Override
    public void run() {
        if (runs < 1 || tokens < 2 || promptTokens < 1) throw new IllegalArgumentException("--runs >= 1, --tokens >= 2 and --prompt-tokens >= 1 are needed");
        if (threads != null) Parallel.setThreads(threads);
        double bandwidth = readBandwidth();
        if (!json) System.out.printf(Locale.ROOT, "%s, %d threads; measured read bandwidth %.1f GB/s%n", preset, Parallel.threads(), bandwidth / 1e9);
        for (String dtype : dtypes) {
            TransformerConfig c = ModelPresets.get(preset);
            c.maxPositions = Math.min(c.maxPositions, promptTokens + tokens);
            Transformer model = new Transformer(c);
            model.train(false);
            long bytes = store(model, switch (dtype) {
                case "f32" -> DType.F32;
                case "bf16" -> DType.BF16;
                default -> throw new IllegalArgumentException("--dtype: f32 or bf16, got " + dtype);
            });
            int[] prompt = new int[promptTokens];
            SplittableRandom rng = new SplittableRandom(1);
            for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(c.vocabSize);
            Generator g = new Generator(model, null, Set.of());
            Sampling s = Sampling.GREEDY.withMaxNewTokens(tokens);
            g.generate(prompt, s.withMaxNewTokens(Math.min(8, tokens))); // warm-up
            double[] tps = new double[runs];
            for (int r = 0; r < runs; r++) {
                tps[r] = g.generate(prompt, s).tokensPerSecond();
                if (!json) System.out.printf(Locale.ROOT, "  %s run %d: %.1f tokens/s%n", dtype, r + 1, tps[r]);
            }
            Arrays.sort(tps);
            double median = tps[runs / 2], reached = median * bytes / bandwidth;
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("preset", preset);
                o.put("dtype", dtype);
                o.put("threads", Parallel.threads());
                o.put("tokens_per_s", median);
                o.put("weight_bytes_per_token", bytes);
                o.put("read_bandwidth_gb_s", bandwidth / 1e9);
                o.put("bandwidth_fraction", reached);
                System.out.println(Json.line(o));
            } else {
                System.out.printf(Locale.ROOT, "%s %s: %.1f tokens/s (median of %d), %.0f MB of weights per token -> %.2f GB/s, %.0f%% of measured bandwidth%n",
                        preset, dtype, median, runs, bytes / 1e6, median * bytes / 1e9, 100 * reached);
            }
        }
    }

    /**
     * Stores the matrices (embeddings, projections) in the dtype and returns the bytes a decode step
     * reads: every matrix except the token embedding, of which one row is read (unless it is also
     * the tied LM head, read whole), plus the float32 vectors (norms, biases).
     */
    private static long store(Transformer model, DType dtype) {
        long bytes = 0;
        for (Parameter p : model.parameters()) {
            Tensor v = p.value();
            boolean matrix = v.shape().length == 2;
            if (matrix && dtype == DType.BF16) {
                p.setValue(v.toBf16());
            }
            boolean embeddingOnly = p == model.embed.weight && !model.config.tieEmbeddings || model.posEmbed != null && p == model.posEmbed.weight;
            long size = v.numel() * (matrix ? (dtype == DType.BF16 ? 2 : 4) : 4);
            bytes += embeddingOnly ? size / v.shape()[0] : size;
        }
        return bytes;
    }

    /** Bytes per second of a parallel vector sum over 1 GiB, best of three (the rate decoding can at most read weights). */
    static double readBandwidth() {
        float[][] parts = new float[8][32 << 20];
        for (float[] p : parts) Arrays.fill(p, 1f);
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            double[] sums = new double[parts.length];
            long t0 = System.nanoTime();
            Parallel.forRange(parts.length, 1, (a, b) -> {
                for (int i = a; i < b; i++) {
                    FloatVector acc = FloatVector.zero(F);
                    float[] x = parts[i];
                    for (int j = 0; j < x.length; j += F.length()) acc = acc.add(FloatVector.fromArray(F, x, j));
                    sums[i] = acc.reduceLanes(VectorOperators.ADD);
                }
            });
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 4.0 * parts.length * parts[0].length / s);
            if (sums[0] != parts[0].length) throw new IllegalStateException("bandwidth probe summed wrong");
        }
        return best;
    }
}
