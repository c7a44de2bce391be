package dev.tune4j.parity;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.Checkpoint;
import dev.tune4j.io.Safetensors;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.model.Families;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.ModelFamily;
import dev.tune4j.model.TensorSource;
import dev.tune4j.model.WeightMapper;
import dev.tune4j.model.WeightRule;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared plumbing of the engine-versus-oracle parity tests: building the engine model from an
 * oracle {@link dev.tune4j.oracle.Checkpoint} through the family's real weight rules, reading the
 * engine's gradients back under Hugging Face names and layouts, and the relative-error metric.
 */
public final class Parity {
    private Parity() {}

    static final double OUT_TOL = 1e-4, GRAD_TOL = 1e-3;

    /** An engine model with its family and rules, in evaluation mode (no dropout). */
    record Engine(Transformer model, ModelFamily family, List<WeightRule> rules) {}

    static HfConfig hfConfig(dev.tune4j.oracle.Checkpoint ckpt) {
        return new HfConfig(Json.MAPPER.valueToTree(ckpt.config()), "random " + ckpt.config().get("model_type"));
    }

    /** Loads an oracle checkpoint held in memory: config map to HfConfig, weights through the family's rules. */
    static Engine fromMemory(dev.tune4j.oracle.Checkpoint ckpt) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (var e : ckpt.weights().entrySet()) tensors.put(e.getKey(), Tensor.of(e.getValue().clone(), ckpt.shape(e.getKey())));
        return build(hfConfig(ckpt), TensorSource.of(tensors, "oracle checkpoint"));
    }

    /** Writes an oracle checkpoint as a Hugging Face folder: config.json and model.safetensors (float32). */
    public static void writeHfFolder(dev.tune4j.oracle.Checkpoint ckpt, Path dir) throws IOException {
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), ckpt.config());
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        for (var e : ckpt.weights().entrySet()) w.add(e.getKey(), Tensor.of(e.getValue(), ckpt.shape(e.getKey())));
        w.write(dir.resolve(Safetensors.SINGLE_FILE));
    }

    /**
     * Loads a Hugging Face folder the way the engine does. Kept small so it can be swapped for
     * model.ModelLoader once that lands.
     */
    static Engine fromFolder(Path dir) throws IOException {
        HfConfig hf = new HfConfig(Json.MAPPER.readTree(dir.resolve("config.json").toFile()), dir.toString());
        try (Checkpoint file = Safetensors.open(dir)) {
            TensorSource src = new TensorSource() {
                public Set<String> names() { return file.names(); }
                public Tensor get(String name) { return file.tensor(name); }
                public String describe() { return file.toString(); }
            };
            Engine e = build(hf, src);
            // The mapped views die with the file; training needs heap copies anyway.
            WeightMapper.materializeTrainable(e.model());
            return e;
        }
    }

    private static Engine build(HfConfig hf, TensorSource src) {
        ModelFamily family = Families.forConfig(hf);
        Transformer model = new Transformer(family.config(hf));
        List<WeightRule> rules = family.weights(model.config, hf);
        WeightMapper.LoadReport report = WeightMapper.load(model, rules, family, src);
        assertEquals(List.of(), report.unexpected(), "checkpoint tensors the engine did not use");
        assertEquals(model.parameters().size(), report.loaded(), "every engine parameter must be loaded");
        model.train(false);
        return new Engine(model, family, rules);
    }

    /**
     * The engine's gradients under the checkpoint's names and layouts (GPT-2's c_attn fused and
     * transposed back, and so on), produced by the real export path: each parameter's value is
     * swapped for its gradient (zeros when it has none) while {@link WeightMapper#export} runs.
     */
    static Map<String, float[]> hfGrads(Module model, List<WeightRule> rules) {
        Map<Parameter, Tensor> saved = new HashMap<>();
        for (Parameter p : model.parameters()) {
            saved.put(p, p.value());
            p.setValue(p.grad() != null ? p.grad().copy() : Tensor.zeros(p.shape()));
        }
        try {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (var e : WeightMapper.export(model, rules).entrySet()) out.put(e.getKey(), e.getValue().toHeap().data().clone());
            return out;
        } finally {
            for (var e : saved.entrySet()) e.getKey().setValue(e.getValue());
        }
    }

    /** max |engine - oracle| / max |oracle|. */
    static double rel(float[] engine, float[] oracle) {
        assertEquals(oracle.length, engine.length, "sizes differ");
        double diff = 0, scale = 0;
        for (int i = 0; i < oracle.length; i++) {
            double d = Math.abs((double) engine[i] - oracle[i]);
            if (!(d <= diff)) diff = d; // NaN propagates as the worst
            scale = Math.max(scale, Math.abs(oracle[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    /** Worst relative error over a set of tensors, remembering which tensor it was. */
    static final class Worst {
        double rel = 0;
        String name = "-";
        final Map<String, Double> all = new LinkedHashMap<>();

        void add(String tensor, float[] engine, float[] oracle) {
            record(tensor, rel(engine, oracle));
        }

        /** As {@link #add(String, float[], float[])} but relative to {@code scale} instead of max |oracle|. */
        void add(String tensor, float[] engine, float[] oracle, double scale) {
            assertEquals(oracle.length, engine.length, tensor + ": sizes differ");
            double diff = 0;
            for (int i = 0; i < oracle.length; i++) {
                double d = Math.abs((double) engine[i] - oracle[i]);
                if (!(d <= diff)) diff = d;
            }
            record(tensor, diff / scale);
        }

        private void record(String tensor, double r) {
            all.put(tensor, r);
            if (!(r <= rel)) {
                rel = r;
                name = tensor;
            }
        }

        void assertAtMost(double tol, String what) {
            assertTrue(rel <= tol, what + ": worst relative error " + rel + " in " + name + " exceeds " + tol + "; all: " + all);
        }
    }

    /**
     * Compares every oracle gradient with the engine's under the same Hugging Face name, and checks
     * that the two name sets agree (the engine must not train a weight the oracle does not use, nor
     * miss one it does).
     */
    static Worst compareGrads(Map<String, float[]> oracle, Map<String, float[]> engine, String what) {
        assertEquals(new java.util.TreeSet<>(oracle.keySet()), new java.util.TreeSet<>(engine.keySet()), what + ": gradient names");
        double largest = 0;
        for (float[] g : oracle.values()) largest = Math.max(largest, maxAbs(g));
        Worst w = new Worst();
        for (var e : oracle.entrySet()) {
            float[] o = e.getValue();
            if (maxAbs(o) <= ZERO_GRAD * largest) {
                // Exactly zero in exact arithmetic (a key bias shifts every score of a query equally,
                // and softmax ignores that): the oracle holds float64 rounding noise and the engine
                // float32 noise, so the error is measured against the largest gradient of the set.
                w.add(e.getKey() + " (zero)", engine.get(e.getKey()), o, largest);
            } else {
                w.add(e.getKey(), engine.get(e.getKey()), o);
            }
        }
        return w;
    }

    /** Below this fraction of the largest gradient an oracle gradient counts as structurally zero. */
    static final double ZERO_GRAD = 1e-9;

    static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) m = Math.max(m, Math.abs(x));
        return m;
    }

    static float[] gaussian(Random rng, int n, double std) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (std * rng.nextGaussian());
        return f;
    }

    static int[][] tokens(Random rng, int b, int t, int vocab) {
        int[][] ids = new int[b][t];
        for (int[] row : ids) for (int i = 0; i < t; i++) row[i] = rng.nextInt(vocab);
        return ids;
    }

    static int[] flat(int[][] rows) {
        int b = rows.length, t = rows[0].length;
        int[] f = new int[b * t];
        for (int i = 0; i < b; i++) System.arraycopy(rows[i], 0, f, i * t, t);
        return f;
    }

    static int cfgInt(dev.tune4j.oracle.Checkpoint ckpt, String key) {
        return ((Number) ckpt.config().get(key)).intValue();
    }
}
