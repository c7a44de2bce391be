package dev.tune4j.oracle;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model as the oracle sees it: the Hugging Face {@code config.json} as a map (keys and value
 * types as Jackson reads them: Number, Boolean, String, List, Map, or null), and float32 weights
 * with their shapes, both keyed by the real Hugging Face tensor names
 * (e.g. {@code model.layers.0.self_attn.q_proj.weight}).
 *
 * @param config  config.json keys
 * @param weights row-major values per tensor name
 * @param shapes  shape per tensor name; every weight must have one and their sizes must agree
 */
public record Checkpoint(Map<String, Object> config, Map<String, float[]> weights, Map<String, int[]> shapes) {

    public Checkpoint {
        config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
        for (var e : weights.entrySet()) {
            int[] shape = shapes.get(e.getKey());
            if (shape == null) throw new IllegalArgumentException("Checkpoint: weight " + e.getKey() + " has no shape");
            if (Torch.numel(shape) != e.getValue().length) {
                throw new IllegalArgumentException("Checkpoint: weight " + e.getKey() + " has " + e.getValue().length
                        + " values but shape " + Arrays.toString(shape));
            }
        }
        for (String name : shapes.keySet()) {
            if (!weights.containsKey(name)) throw new IllegalArgumentException("Checkpoint: shape given for missing weight " + name);
        }
    }

    public boolean has(String name) { return weights.containsKey(name); }

    public float[] weight(String name) {
        float[] w = weights.get(name);
        if (w == null) throw new IllegalArgumentException("Checkpoint: no weight named " + name);
        return w;
    }

    public int[] shape(String name) {
        int[] s = shapes.get(name);
        if (s == null) throw new IllegalArgumentException("Checkpoint: no weight named " + name);
        return s.clone();
    }

    /** A copy with {@code name} replaced (same shape); used to perturb one weight. */
    public Checkpoint with(String name, float[] values) {
        if (!has(name)) throw new IllegalArgumentException("Checkpoint: no weight named " + name);
        Map<String, float[]> w = new LinkedHashMap<>(weights);
        w.put(name, values);
        return new Checkpoint(config, w, shapes);
    }

    /** A copy whose config has {@code key} set to {@code value} (null removes nothing, it stores null). */
    public Checkpoint withConfig(String key, Object value) {
        Map<String, Object> c = new LinkedHashMap<>(config);
        c.put(key, value);
        return new Checkpoint(c, weights, shapes);
    }

    /** A copy with every weight name prefixed (e.g. {@code "bert."}, as some BERT checkpoints store them). */
    public Checkpoint withPrefix(String prefix) {
        Map<String, float[]> w = new LinkedHashMap<>();
        Map<String, int[]> s = new LinkedHashMap<>();
        for (String name : weights.keySet()) {
            w.put(prefix + name, weights.get(name));
            s.put(prefix + name, shapes.get(name));
        }
        return new Checkpoint(config, w, s);
    }
}
