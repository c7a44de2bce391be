package dev.tune4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.tune4j.cli.BenchEmbedCommand;
import dev.tune4j.report.Json;

import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX Runtime side of {@code tune4j bench embed}: the same ONNX file (the builtin model's jar
 * resource), all graph optimisations, the same synthetic batch, warm-up then the median of timed
 * runs, printed as the same JSON line. Not a test (no timing belongs in tests); run it with
 * bench/embed-vs-ort.sh.
 *
 * <p>Arguments: --batch N --seq N --threads N --warmup N --runs N (defaults as the CLI's).
 */
public final class OrtEmbedBench {
    static final String ONNX = "all-minilm-l6-v2.onnx";
    static final int VOCAB = 30522;

    public static void main(String[] args) throws Exception {
        Map<String, Integer> opt = new LinkedHashMap<>(Map.of("batch", 32, "seq", 128, "threads", 2, "warmup", 10, "runs", 15));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--json")) continue; // the output is always the JSON line
            if (!a.startsWith("--") || i + 1 >= args.length || !opt.containsKey(a.substring(2))) {
                throw new IllegalArgumentException("usage: OrtEmbedBench [--batch N] [--seq N] [--threads N] [--warmup N] [--runs N], got " + a);
            }
            opt.put(a.substring(2), Integer.parseInt(args[++i]));
        }
        int batch = opt.get("batch"), seq = opt.get("seq"), threads = opt.get("threads"), warmup = opt.get("warmup"), runs = opt.get("runs");

        byte[] model;
        try (InputStream in = OrtEmbedBench.class.getClassLoader().getResourceAsStream(ONNX)) {
            if (in == null) throw new IllegalStateException(ONNX + " is not on the classpath");
            model = in.readAllBytes();
        }
        int[] ids32 = BenchEmbedCommand.syntheticIds(batch, seq, VOCAB);
        long[] ids = new long[ids32.length], mask = new long[ids32.length], types = new long[ids32.length];
        for (int i = 0; i < ids.length; i++) ids[i] = ids32[i];
        Arrays.fill(mask, 1L);
        long[] shape = {batch, seq};

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            try (OrtSession s = env.createSession(model, so);
                 OnnxTensor tIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                 OnnxTensor tMask = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                 OnnxTensor tTypes = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape)) {
                Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
                for (String name : s.getInputNames()) {
                    inputs.put(name, switch (name) {
                        case "input_ids" -> tIds;
                        case "attention_mask" -> tMask;
                        case "token_type_ids" -> tTypes;
                        default -> throw new IllegalStateException("unexpected model input " + name);
                    });
                }
                // The last hidden states only, as tune4j computes them.
                String output = s.getOutputNames().contains("last_hidden_state") ? "last_hidden_state" : s.getOutputNames().iterator().next();
                Set<String> outputs = Set.of(output);
                for (int i = 0; i < warmup; i++) {
                    try (OrtSession.Result r = s.run(inputs, outputs)) { /* discard */ }
                }
                double[] ms = new double[runs], cpu = new double[runs];
                var mx = java.lang.management.ManagementFactory.getThreadMXBean();
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                    try (OrtSession.Result r = s.run(inputs, outputs)) {
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                        cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
                    }
                }
                Arrays.sort(cpu);
                Arrays.sort(ms);
                double median = ms[runs / 2];
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("impl", "onnxruntime-" + env.getVersion());
                row.put("model", "builtin:all-minilm-l6-v2");
                row.put("batch", batch);
                row.put("seq", seq);
                row.put("threads", threads);
                row.put("tokens_per_s", Math.round(batch * (double) seq / (median / 1e3)));
                row.put("ms_per_batch", Math.round(median * 100) / 100.0);
                row.put("ms_best", Math.round(ms[0] * 100) / 100.0);
                // With one thread ORT runs on the calling thread: its CPU time is the cost without other tenants' load.
                if (threads == 1) row.put("cpu_ms_best", Math.round(cpu[0] * 100) / 100.0);
                System.out.println(Json.line(row));
            }
        }
    }
}
