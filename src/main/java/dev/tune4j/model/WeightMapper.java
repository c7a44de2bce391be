package dev.tune4j.model;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.nn.Module;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves tensors between a checkpoint's names and layouts and a model's parameters, driven by a
 * family's {@link WeightRule}s. Tensors in the same layout are taken as they are (a memory-mapped
 * weight stays mapped until it is made trainable); transposed or fused ones are copied.
 */
public final class WeightMapper {
    private WeightMapper() {}

    /** Unused checkpoint tensors that the family does not know to ignore (worth a warning). */
    public record LoadReport(int loaded, List<String> unexpected) {}

    public static LoadReport load(Module model, List<WeightRule> rules, ModelFamily family, TensorSource src) {
        Map<String, Parameter> params = model.namedParameters();
        Map<String, String> byCanonical = new HashMap<>();
        for (String n : src.names()) byCanonical.put(family.canonicalName(n), n);
        Set<String> used = new HashSet<>();
        int loaded = 0;
        for (WeightRule rule : rules) {
            String original = byCanonical.get(rule.hfName());
            if (original == null) {
                throw new IllegalArgumentException(src.describe() + ": missing tensor '" + rule.hfName() + "' (needed for "
                        + String.join(", ", rule.ours()) + ")");
            }
            used.add(original);
            Tensor t = src.get(original);
            List<Parameter> targets = new ArrayList<>();
            for (String o : rule.ours()) {
                Parameter p = params.get(o);
                if (p == null) throw new IllegalStateException("model has no parameter '" + o + "' for tensor " + rule.hfName());
                targets.add(p);
            }
            List<Tensor> parts = toEngine(t, rule, targets.size());
            for (int i = 0; i < parts.size(); i++) {
                Parameter p = targets.get(i);
                Tensor part = parts.get(i);
                Shape.check(part.sameShape(p.value()), "load " + src.describe(),
                        "tensor '" + original + "' does not fit parameter '" + rule.ours().get(i) + "'", part.shape(), p.value().shape());
                p.setValue(part);
                loaded++;
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String n : src.names()) if (!used.contains(n) && !family.ignorable(n)) unexpected.add(n);
        return new LoadReport(loaded, unexpected);
    }

    /** The model's weights under the checkpoint's names and layouts, ready to save. */
    public static Map<String, Tensor> export(Module model, List<WeightRule> rules) {
        Map<String, Parameter> params = model.namedParameters();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (WeightRule rule : rules) {
            List<Tensor> parts = new ArrayList<>();
            for (String o : rule.ours()) parts.add(params.get(o).value());
            out.put(rule.hfName(), toCheckpoint(parts, rule));
        }
        return out;
    }

    static List<Tensor> toEngine(Tensor t, WeightRule rule, int n) {
        return switch (rule.layout()) {
            case SAME -> List.of(t);
            case TRANSPOSED -> List.of(transpose(t.toHeap()));
            case SPLIT_TRANSPOSED -> {
                Tensor h = t.toHeap();
                requireRank(h, 2, rule);
                int in = h.dim(0), outAll = h.dim(1);
                if (outAll % n != 0) throw new IllegalArgumentException("tensor " + rule.hfName() + " " + Shape.str(h.shape()) + " cannot split in " + n);
                int out = outAll / n;
                List<Tensor> parts = new ArrayList<>();
                float[] src = h.data();
                for (int part = 0; part < n; part++) {
                    float[] d = new float[out * in];
                    for (int r = 0; r < in; r++) {
                        for (int c = 0; c < out; c++) d[c * in + r] = src[r * outAll + part * out + c];
                    }
                    parts.add(Tensor.of(d, out, in));
                }
                yield parts;
            }
            case SPLIT -> {
                Tensor h = t.toHeap();
                requireRank(h, 1, rule);
                int len = h.dim(0) / n;
                List<Tensor> parts = new ArrayList<>();
                for (int part = 0; part < n; part++) {
                    float[] d = new float[len];
                    System.arraycopy(h.data(), part * len, d, 0, len);
                    parts.add(Tensor.of(d, len));
                }
                yield parts;
            }
        };
    }

    static Tensor toCheckpoint(List<Tensor> parts, WeightRule rule) {
        return switch (rule.layout()) {
            case SAME -> parts.get(0);
            case TRANSPOSED -> transpose(parts.get(0).toHeap());
            case SPLIT_TRANSPOSED -> {
                int n = parts.size(), out = parts.get(0).dim(0), in = parts.get(0).dim(1);
                float[] d = new float[in * n * out];
                for (int part = 0; part < n; part++) {
                    float[] s = parts.get(part).toHeap().data();
                    for (int c = 0; c < out; c++) {
                        for (int r = 0; r < in; r++) d[r * n * out + part * out + c] = s[c * in + r];
                    }
                }
                yield Tensor.of(d, in, n * out);
            }
            case SPLIT -> {
                int len = parts.get(0).dim(0);
                float[] d = new float[len * parts.size()];
                for (int part = 0; part < parts.size(); part++) System.arraycopy(parts.get(part).toHeap().data(), 0, d, part * len, len);
                yield Tensor.of(d, d.length);
            }
        };
    }

    private static void requireRank(Tensor t, int rank, WeightRule rule) {
        if (t.rank() != rank) throw new IllegalArgumentException("tensor " + rule.hfName() + " has shape " + Shape.str(t.shape()) + ", expected rank " + rank);
    }

    static Tensor transpose(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("transpose needs a matrix, got " + Shape.str(t.shape()));
        int r = t.dim(0), c = t.dim(1);
        float[] s = t.data(), d = new float[r * c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) d[j * r + i] = s[i * c + j];
        return Tensor.of(d, c, r);
    }

    /** Makes every trainable parameter a heap float32 tensor (mapped weights are read-only). */
    public static void materializeTrainable(Module model) {
        for (Parameter p : model.trainableParameters()) if (!p.value().isHeap()) p.setValue(p.value().toHeap());
    }

}
