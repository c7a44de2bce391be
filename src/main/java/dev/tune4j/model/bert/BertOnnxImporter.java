package dev.tune4j.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.io.onnx.OnnxDataType;
import dev.tune4j.io.onnx.OnnxModel;
import dev.tune4j.io.onnx.OnnxNode;
import dev.tune4j.io.onnx.OnnxTensor;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.TensorSource;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recovers a Hugging Face BERT checkpoint (config.json + weights under their state-dict names)
 * from a BERT encoder exported to ONNX by torch.onnx or Hugging Face Optimum, so the ONNX path
 * loads through the same {@link BertFamily} rules as a safetensors folder.
 *
 * <p>What such an export looks like: parameters PyTorch keeps as they are (embeddings, LayerNorm
 * weights and biases, Linear biases) are initializers under their state-dict names; each Linear
 * weight becomes an anonymous {@code onnx::MatMul_N} initializer holding the transposed weight
 * [in, out], read by a node named after the module ({@code /encoder/layer.0/attention/self/query/MatMul}).
 * Anonymous initializers are therefore named after the node that consumes them (and transposed
 * back to [out, in] for MatMul); named ones are taken as they are.
 *
 * <p>Hyper-parameters come from weight shapes (vocabulary, hidden size, positions, token types,
 * layers, intermediate size) and from the graph: the number of heads from the shape constants of
 * the attention Reshape to [batch, seq, heads, head_dim] (or the 1/sqrt(head_dim) score scale),
 * the LayerNorm epsilon from a LayerNormalization node or the decomposed pattern's
 * {@code Add(variance, eps)} before Sqrt, the activation from Erf (exact GELU) or Tanh. Keys of a
 * given config.json win over everything derived.
 */
public final class BertOnnxImporter {
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final BertFamily FAMILY = new BertFamily();

    /**
     * @param config       a Hugging Face config.json for BertModel (derived, merged with the given one)
     * @param weights      float tensors under Hugging Face names and layouts
     * @param storedDtypes each weight's dtype as the ONNX file stores it (F32, F16, BF16, F64)
     */
    public record Imported(HfConfig config, TensorSource weights, Map<String, String> storedDtypes) {}

    private BertOnnxImporter() {}

    /**
     * @param source         names the file in messages and in the config's source
     * @param configOverride a config.json whose keys win over the derived ones, or null
     */
    public static Imported importModel(OnnxModel onnx, String source, JsonNode configOverride) {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        for (OnnxTensor t : onnx.initializers().values()) {
            if (!t.isFloatingPoint() || isAnonymous(t.name())) continue;
            weights.put(t.name(), t.toTensor());
            dtypes.put(t.name(), dtypeName(t.dataType()));
        }
        for (OnnxNode n : onnx.nodes()) {
            for (int i = 0; i < n.inputs().size(); i++) {
                String input = n.inputs().get(i);
                OnnxTensor t = onnx.initializers().get(input);
                if (t == null || !t.isFloatingPoint() || !isAnonymous(input)) continue;
                String name = nameFor(onnx, n, i, t);
                if (name == null || weights.containsKey(name)) continue; // a named initializer wins; shared weights are named once
                weights.put(name, layoutFor(n, i, t));
                dtypes.put(name, dtypeName(t.dataType()));
            }
        }

        Map<String, Tensor> byCanonical = new LinkedHashMap<>();
        weights.forEach((k, v) -> byCanonical.put(FAMILY.canonicalName(k), v));
        Tensor words = byCanonical.get("embeddings.word_embeddings.weight");
        if (words == null || words.rank() != 2) {
            throw new IllegalArgumentException(source + ": not a BERT encoder export (no 2-D initializer 'embeddings.word_embeddings.weight'"
                    + " among " + weights.size() + " named weights); ONNX import supports BERT encoders");
        }
        int hidden = words.dim(1);

        ObjectNode derived = Json.MAPPER.createObjectNode();
        derived.putArray("architectures").add("BertModel");
        derived.put("model_type", "bert");
        derived.put("vocab_size", words.dim(0));
        derived.put("hidden_size", hidden);
        int layers = layerCount(byCanonical.keySet());
        if (layers > 0) derived.put("num_hidden_layers", layers);
        Tensor up = byCanonical.get("encoder.layer.0.intermediate.dense.weight");
        if (up != null && up.rank() == 2) derived.put("intermediate_size", up.dim(0));
        Tensor positions = byCanonical.get("embeddings.position_embeddings.weight");
        if (positions != null) derived.put("max_position_embeddings", positions.dim(0));
        Tensor types = byCanonical.get("embeddings.token_type_embeddings.weight");
        derived.put("type_vocab_size", types == null ? 0 : types.dim(0));
        heads(onnx, hidden).ifPresent(h -> derived.put("num_attention_heads", h));
        layerNormEps(onnx).ifPresent(e -> derived.put("layer_norm_eps", e));
        derived.put("hidden_act", activation(onnx));
        derived.put("position_embedding_type", "absolute");

        if (configOverride != null) {
            if (!configOverride.isObject()) throw new IllegalArgumentException(source + ": the given config.json is not a JSON object");
            configOverride.properties().forEach(e -> derived.set(e.getKey(), e.getValue()));
        }
        List<String> unknown = new ArrayList<>();
        for (String key : List.of("num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "layer_norm_eps")) {
            if (!derived.hasNonNull(key)) unknown.add(key);
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + ": cannot tell " + String.join(", ", unknown) + " from the ONNX graph"
                    + " (heads come from the attention Reshape's [batch, seq, heads, head_dim] shape constants, the epsilon from"
                    + " LayerNormalization or Add(variance, eps) before Sqrt); pass the model's config.json with --config");
        }
        return new Imported(new HfConfig(derived, source), TensorSource.of(Collections.unmodifiableMap(weights), source),
                Collections.unmodifiableMap(dtypes));
    }

    /** torch.onnx names initializers it created itself "onnx::Op_N"; parameters keep their state-dict names. */
    static boolean isAnonymous(String name) {
        return name.isEmpty() || name.contains("::");
    }

    /** The state-dict name of an anonymous weight from the module path of the node reading it, or null if it is not a weight. */
    private static String nameFor(OnnxModel onnx, OnnxNode n, int input, OnnxTensor t) {
        String module = modulePath(n);
        if (module == null) return null;
        int rank = t.dims().length;
        boolean vector = rank == 1 && t.numel() > 1;
        boolean layerNorm = module.endsWith("LayerNorm");
        return switch (n.opType()) {
            case "MatMul" -> input == 1 && rank == 2 ? module + ".weight" : null;
            case "Gemm" -> input == 1 && rank == 2 ? module + ".weight" : input == 2 && vector ? module + ".bias" : null;
            case "Gather" -> input == 0 && rank == 2 ? module + ".weight" : null;
            case "LayerNormalization" -> input == 1 ? module + ".weight" : input == 2 ? module + ".bias" : null;
            case "Mul" -> vector && layerNorm ? module + ".weight" : null;
            case "Add" -> vector && (layerNorm || otherInputIsProjection(onnx, n, input)) ? module + ".bias" : null;
            default -> null;
        };
    }

    /** A Linear bias is added to a MatMul's output. */
    private static boolean otherInputIsProjection(OnnxModel onnx, OnnxNode add, int input) {
        if (add.inputs().size() != 2) return false;
        return onnx.producer(add.inputs().get(1 - input)).map(p -> p.opType().equals("MatMul") || p.opType().equals("Gemm")).orElse(false);
    }

    /** MatMul multiplies by W as [in, out]; Gemm does too unless transB, which reads PyTorch's [out, in]. */
    private static Tensor layoutFor(OnnxNode n, int input, OnnxTensor t) {
        boolean transposed = input == 1 && (n.opType().equals("MatMul") || (n.opType().equals("Gemm") && n.attrInt("transB", 0) == 0));
        if (!transposed) return t.toTensor();
        int rows = t.shape()[0], cols = t.shape()[1];
        float[] src = t.floatData(), dst = new float[src.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
        return Tensor.of(dst, cols, rows);
    }

    /** "/encoder/layer.0/attention/self/query/MatMul" (or its output's name when the node has none) -> "encoder.layer.0.attention.self.query". */
    static String modulePath(OnnxNode n) {
        String name = !n.name().isEmpty() ? n.name() : n.outputs().isEmpty() ? "" : n.outputs().getFirst();
        if (!name.startsWith("/")) return null;
        int last = name.lastIndexOf('/');
        if (last <= 0) return null;
        return name.substring(1, last).replace('/', '.');
    }

    private static int layerCount(Iterable<String> names) {
        int max = -1;
        for (String n : names) {
            Matcher m = LAYER.matcher(n);
            if (m.find()) max = Math.max(max, Integer.parseInt(m.group(1)));
        }
        return max + 1;
    }

    /** Heads from Reshape(x, [batch, seq, heads, head_dim]) in attention, voted over all such nodes; else from the score scale. */
    static Optional<Integer> heads(OnnxModel onnx, int hidden) {
        // Nodes named after attention modules first; exports without module names: any such Reshape.
        for (boolean byName : new boolean[]{true, false}) {
            Map<Long, Integer> votes = new TreeMap<>();
            for (OnnxNode n : onnx.nodes()) {
                if (!n.opType().equals("Reshape") || n.inputs().size() < 2 || (byName && !inAttention(n))) continue;
                long[] shape = shapeEntries(onnx, n.inputs().get(1));
                if (shape == null || shape.length != 4) continue;
                long h = shape[2], d = shape[3];
                if (h > 1 && d > 1 && h * d == hidden) votes.merge(h, 1, Integer::sum);
            }
            if (votes.size() > 1) throw new IllegalArgumentException("the attention Reshape nodes disagree on the number of heads: " + votes.keySet());
            if (votes.size() == 1) return Optional.of(votes.keySet().iterator().next().intValue());
        }
        // Scores divided by sqrt(head_dim): Div(QK^T, c) inside attention.
        for (OnnxNode n : onnx.nodes()) {
            if (!n.opType().equals("Div") || !inAttention(n) || n.inputs().size() != 2) continue;
            Optional<OnnxTensor> c = onnx.constant(n.inputs().get(1));
            if (c.isEmpty() || c.get().numel() != 1) continue;
            double headDim = c.get().scalar() * c.get().scalar();
            long d = Math.round(headDim);
            if (d > 0 && Math.abs(headDim - d) < 1e-3 * d && hidden % d == 0) return Optional.of((int) (hidden / d));
        }
        return Optional.empty();
    }

    private static boolean inAttention(OnnxNode n) {
        String path = modulePath(n);
        return path != null && path.contains("attention");
    }

    /** The entries of a shape value: a constant, or a Concat of constants and one-element runtime values (-1 marks those). */
    private static long[] shapeEntries(OnnxModel onnx, String value) {
        Optional<OnnxTensor> c = onnx.constant(value);
        if (c.isPresent()) return c.get().isFloatingPoint() ? null : c.get().longData();
        Optional<OnnxNode> p = onnx.producer(value);
        if (p.isEmpty()) return null;
        OnnxNode concat = p.get();
        if (concat.opType().equals("Cast") && concat.inputs().size() == 1) return shapeEntries(onnx, concat.inputs().getFirst());
        if (!concat.opType().equals("Concat")) return null;
        List<Long> out = new ArrayList<>();
        for (String in : concat.inputs()) {
            Optional<OnnxTensor> part = onnx.constant(in);
            if (part.isPresent() && !part.get().isFloatingPoint()) {
                for (long v : part.get().longData()) out.add(v);
            } else {
                out.add(-1L);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** Epsilon from LayerNormalization nodes or the decomposed Sqrt(Add(ReduceMean(...), eps)); the most frequent one. */
    static Optional<Double> layerNormEps(OnnxModel onnx) {
        Map<Float, Integer> votes = new LinkedHashMap<>();
        for (OnnxNode n : onnx.nodes()) {
            switch (n.opType()) {
                case "LayerNormalization", "SkipLayerNormalization" -> votes.merge(n.attrFloat("epsilon", 1e-5f), 1, Integer::sum);
                case "Sqrt" -> {
                    Optional<OnnxNode> add = onnx.producer(n.inputs().getFirst());
                    if (add.isEmpty() || !add.get().opType().equals("Add") || add.get().inputs().size() != 2) continue;
                    for (int i = 0; i < 2; i++) {
                        Optional<OnnxTensor> eps = onnx.constant(add.get().inputs().get(i));
                        boolean fromVariance = onnx.producer(add.get().inputs().get(1 - i)).map(p -> p.opType().equals("ReduceMean")).orElse(false);
                        if (eps.isPresent() && eps.get().numel() == 1 && eps.get().isFloatingPoint() && fromVariance) {
                            votes.merge((float) eps.get().scalar(), 1, Integer::sum);
                        }
                    }
                }
                default -> { }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(e -> Double.parseDouble(Float.toString(e.getKey()))); // 1e-12f reads back as 1.0E-12, as config.json writes it
    }

    /** Exact (erf) GELU unless the feed-forward uses Tanh or a tanh-approximate Gelu node. */
    static String activation(OnnxModel onnx) {
        for (OnnxNode n : onnx.nodes()) {
            String path = modulePath(n);
            if (path == null || !path.contains("intermediate")) continue;
            switch (n.opType()) {
                case "Erf" -> { return "gelu"; }
                case "Tanh" -> { return "gelu_new"; }
                case "Gelu", "FastGelu" -> { return n.opType().equals("FastGelu") || n.attrString("approximate", "none").equals("tanh") ? "gelu_new" : "gelu"; }
                default -> { }
            }
        }
        return "gelu";
    }

    private static String dtypeName(OnnxDataType t) {
        return switch (t) {
            case FLOAT -> "F32";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            case DOUBLE -> "F64";
            default -> t.name();
        };
    }
}
