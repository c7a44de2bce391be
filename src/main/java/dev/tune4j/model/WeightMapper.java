package dev.tune4j.model;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.nn.Module;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
                requireFinite(part, original, src);
                p.setValue(part);
                loaded++;
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String n : src.names()) if (!used.contains(n) && !family.ignorable(n)) unexpected.add(n);
        return new LoadReport(loaded, unexpected);
    }

    /**
     * Checks, from the stored shapes alone (no tensor data is read), that every tensor the rules
     * load fits its parameter: {@code expected} holds each parameter's shape as the config.json
     * implies it ({@link ModelFamily#parameterShapes}). So a checkpoint that contradicts its config
     * is refused when it is opened, by every command alike, naming the tensor and both shapes.
     */
    public static void checkShapes(List<WeightRule> rules, ModelFamily family, TensorSource src, Map<String, int[]> expected, String configSource) {
        Map<String, String> byCanonical = new HashMap<>();
        for (String n : src.names()) byCanonical.putIfAbsent(family.canonicalName(n), n);
        for (WeightRule rule : rules) {
            String original = byCanonical.get(rule.hfName());
            if (original == null) continue;    // reported as missing by the caller
            int[] stored = src.get(original).shape();
            List<int[]> parts = engineShapes(stored, rule, rule.ours().size(), src.describe() + ": tensor '" + original + "'");
            for (int i = 0; i < parts.size(); i++) {
                int[] want = expected.get(rule.ours().get(i));
                if (want == null) throw new IllegalStateException("model has no parameter '" + rule.ours().get(i) + "' for tensor " + rule.hfName());
                if (!Arrays.equals(want, parts.get(i))) {
                    throw new IllegalArgumentException(src.describe() + ": tensor '" + original + "' has shape " + Shape.str(stored) + ", but "
                            + configSource + " describes a model whose '" + rule.ours().get(i) + "' is " + Shape.str(want)
                            + (parts.size() > 1 || rule.layout() != WeightRule.Layout.SAME ? " (" + rule.layout().name().toLowerCase() + " in the file)" : ""));
                }
            }
        }
    }

    /** The shapes {@link #toEngine} turns a stored tensor of shape {@code stored} into, or an error naming {@code what}. */
    static List<int[]> engineShapes(int[] stored, WeightRule rule, int n, String what) {
        int rank = switch (rule.layout()) {
            case SAME -> stored.length;
            case TRANSPOSED, SPLIT_TRANSPOSED -> 2;
            case SPLIT -> 1;
        };
        if (stored.length != rank) throw new IllegalArgumentException(what + " has shape " + Shape.str(stored) + ", expected rank " + rank);
        int last = rank == 0 ? 1 : stored[rank - 1];
        if ((rule.layout() == WeightRule.Layout.SPLIT || rule.layout() == WeightRule.Layout.SPLIT_TRANSPOSED) && last % n != 0) {
            throw new IllegalArgumentException(what + " has shape " + Shape.str(stored) + ", which cannot split in " + n);
        }
        return switch (rule.layout()) {
            case SAME -> List.of(stored.clone());
            case TRANSPOSED -> List.<int[]>of(new int[] {stored[1], stored[0]});
            case SPLIT_TRANSPOSED -> Collections.nCopies(n, new int[] {stored[1] / n, stored[0]});
            case SPLIT -> Collections.nCopies(n, new int[] {stored[0] / n});
        };
    }

    /** NaN or infinity in a stored weight means a corrupt checkpoint: refused here, once, not found later in every output. */
    private static void requireFinite(Tensor t, String name, TensorSource src) {
        long bad = firstNonFinite(t);
        if (bad >= 0) {
            throw new IllegalArgumentException(src.describe() + ": tensor '" + name + "' holds " + t.get(bad) + " at element " + bad + " of "
                    + t.numel() + "; a checkpoint's weights must be finite (corrupt or diverged?)");
        }
    }

    /** The index of the first NaN or infinite element, or -1. */
    static long firstNonFinite(Tensor t) {
        if (t.isHeap()) {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) if (!Float.isFinite(d[i])) return i;
            return -1;
        }
        float[] chunk = new float[(int) Math.min(t.numel(), 1 << 16)];   // mapped F16/BF16/F32: read a piece at a time
        for (long start = 0; start < t.numel(); start += chunk.length) {
            int len = (int) Math.min(chunk.length, t.numel() - start);
            t.storage().read(start, chunk, 0, len);
            for (int i = 0; i < len; i++) if (!Float.isFinite(chunk[i])) return start + i;
        }
        return -1;
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
                if (h.dim(0) % n != 0) throw new IllegalArgumentException("tensor " + rule.hfName() + " " + Shape.str(h.shape()) + " cannot split in " + n);
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
