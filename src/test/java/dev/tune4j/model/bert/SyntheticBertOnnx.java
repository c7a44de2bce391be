package dev.tune4j.model.bert;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a small, runnable BERT encoder as an ONNX file laid out the way torch.onnx / Optimum
 * export Hugging Face's BertModel: parameters PyTorch keeps (embeddings, LayerNorm, biases) as
 * initializers under their state-dict names, each Linear weight as an anonymous
 * {@code onnx::MatMul_N} initializer holding Wᵀ [in, out] read by a node named after its module,
 * attention heads split by a Reshape whose shape is a Concat of runtime dims and Constant nodes
 * (or one constant initializer), LayerNorm decomposed into ReduceMean/Sub/Pow/ReduceMean/Add(eps)/
 * Sqrt/Div/Mul/Add (or a LayerNormalization node), erf GELU. Written with protobuf's
 * CodedOutputStream and the field numbers of onnx.proto; independent of tune4j's reader.
 */
final class SyntheticBertOnnx {

    /**
     * @param prefix          "" for BertModel, "bert." for a task-head export (node paths then start with /bert/)
     * @param fusedLayerNorm  LayerNormalization nodes instead of the decomposed pattern
     * @param constantReshape the head split's shape as one [0, 0, heads, headDim] initializer instead of a Concat
     * @param unnamedNodes    nodes without names (the reader must fall back to output names)
     */
    record Spec(int vocab, int hidden, int layers, int heads, int intermediate, int positions, int typeVocab, float eps,
                String prefix, boolean fusedLayerNorm, boolean constantReshape, boolean unnamedNodes, long seed) {}

    final Spec spec;
    /** What the weights are in Hugging Face's names and layouts ([out, in] for Linear). */
    final Map<String, float[]> hfWeights = new LinkedHashMap<>();
    final Map<String, int[]> hfShapes = new LinkedHashMap<>();
    final byte[] bytes;

    private final List<byte[]> nodes = new ArrayList<>(), initializers = new ArrayList<>();
    private final SplittableRandom rng;
    private int anonymous = 700;

    private SyntheticBertOnnx(Spec s) {
        this.spec = s;
        this.rng = new SplittableRandom(s.seed());
        this.bytes = build();
    }

    static SyntheticBertOnnx write(Spec s) {
        return new SyntheticBertOnnx(s);
    }

    // ---- the graph ---------------------------------------------------------------------------

    private byte[] build() {
        Spec s = spec;
        String p = s.prefix(), path = p.isEmpty() ? "" : "/" + p.substring(0, p.length() - 1);
        int d = s.hidden(), headDim = d / s.heads();

        String words = param(p + "embeddings.word_embeddings.weight", 0.5f, 0f, s.vocab(), d);
        String types = param(p + "embeddings.token_type_embeddings.weight", 0.5f, 0f, s.typeVocab(), d);
        String positions = param(p + "embeddings.position_embeddings.weight", 0.5f, 0f, s.positions(), d);
        long[] posIds = new long[s.positions()];
        for (int i = 0; i < posIds.length; i++) posIds[i] = i;
        initializers.add(tensor(p + "embeddings.position_ids", 7, new long[]{1, s.positions()}, raw(posIds)));

        String e = path + "/embeddings";
        String x = node(e + "/word_embeddings/Gather", "Gather", List.of(words, "input_ids"));
        x = node(e + "/Add", "Add", List.of(x, node(e + "/token_type_embeddings/Gather", "Gather", List.of(types, "token_type_ids"))));
        String seq = node(e + "/Gather", "Gather", List.of(node(e + "/Shape", "Shape", List.of("input_ids")), longs(e + "/Constant", new long[0], 1)), intAttr("axis", 0));
        String seqVec = node(e + "/Unsqueeze", "Unsqueeze", List.of(seq, longs(e + "/Constant_1", new long[]{1}, 0)));
        String ids = node(e + "/Slice", "Slice", List.of(p + "embeddings.position_ids", longs(e + "/Constant_2", new long[]{1}, 0), seqVec,
                longs(e + "/Constant_3", new long[]{1}, 1), longs(e + "/Constant_4", new long[]{1}, 1)));
        x = node(e + "/Add_1", "Add", List.of(x, node(e + "/position_embeddings/Gather", "Gather", List.of(positions, ids))));
        x = layerNorm(e + "/LayerNorm", p + "embeddings.LayerNorm", x);

        // (1 - mask) * finfo.min, broadcast to [B, 1, 1, T], as Hugging Face builds the extended mask.
        String m = node(path + "/Unsqueeze", "Unsqueeze", List.of("attention_mask", longs(path + "/Constant", new long[]{1}, 1)));
        m = node(path + "/Unsqueeze_1", "Unsqueeze", List.of(m, longs(path + "/Constant_1", new long[]{1}, 2)));
        m = node(path + "/Cast", "Cast", List.of(m), intAttr("to", 1));
        m = node(path + "/Sub", "Sub", List.of(floats(path + "/Constant_2", 1f), m));
        String mask = node(path + "/Mul", "Mul", List.of(m, floats(path + "/Constant_3", -3.4028235e38f)));

        for (int l = 0; l < s.layers(); l++) {
            String n = path + "/encoder/layer." + l, h = p + "encoder.layer." + l;
            String a = n + "/attention/self";
            String q = linear(a + "/query", h + ".attention.self.query", x, d, d);
            String k = linear(a + "/key", h + ".attention.self.key", x, d, d);
            String v = linear(a + "/value", h + ".attention.self.value", x, d, d);
            String kh = node(a + "/Transpose_2", "Transpose", List.of(splitHeads(a, "", k)), intsAttr("perm", 0, 2, 3, 1));
            String vh = node(a + "/Transpose", "Transpose", List.of(splitHeads(a, "_1", v)), intsAttr("perm", 0, 2, 1, 3));
            String qh = node(a + "/Transpose_1", "Transpose", List.of(splitHeads(a, "_2", q)), intsAttr("perm", 0, 2, 1, 3));
            String scores = node(a + "/MatMul", "MatMul", List.of(qh, kh));
            scores = node(a + "/Div", "Div", List.of(scores, floats(a + "/Constant_12", (float) Math.sqrt(headDim))));
            scores = node(a + "/Add", "Add", List.of(scores, mask));
            String probs = node(a + "/Softmax", "Softmax", List.of(scores), intAttr("axis", -1));
            String ctx = node(a + "/Transpose_3", "Transpose", List.of(node(a + "/MatMul_1", "MatMul", List.of(probs, vh))), intsAttr("perm", 0, 2, 1, 3));
            ctx = node(a + "/Reshape_3", "Reshape", List.of(ctx, longs(a + "/Constant_15", new long[]{3}, 0, 0, d)));
            String attn = linear(n + "/attention/output/dense", h + ".attention.output.dense", ctx, d, d);
            x = layerNorm(n + "/attention/output/LayerNorm", h + ".attention.output.LayerNorm", node(n + "/attention/output/Add", "Add", List.of(attn, x)));
            String up = linear(n + "/intermediate/dense", h + ".intermediate.dense", x, d, s.intermediate());
            String g = n + "/intermediate/intermediate_act_fn";
            String erf = node(g + "/Erf", "Erf", List.of(node(g + "/Div", "Div", List.of(up, floats(g + "/Constant", (float) Math.sqrt(2))))));
            String gelu = node(g + "/Mul_1", "Mul", List.of(node(g + "/Mul", "Mul", List.of(up, node(g + "/Add", "Add", List.of(erf, floats(g + "/Constant_1", 1f))))),
                    floats(g + "/Constant_2", 0.5f)));
            String down = linear(n + "/output/dense", h + ".output.dense", gelu, s.intermediate(), d);
            x = layerNorm(n + "/output/LayerNorm", h + ".output.LayerNorm", node(n + "/output/Add", "Add", List.of(down, x)));
        }
        String last = x;
        nodes.add(msg(o -> {
            o.writeString(1, last);
            o.writeString(2, "last_hidden_state");
            o.writeString(3, "/Identity");
            o.writeString(4, "Identity");
        }));

        byte[] graph = msg(o -> {
            for (byte[] n : nodes) o.writeByteArray(1, n);
            o.writeString(2, "main_graph");
            for (byte[] t : initializers) o.writeByteArray(5, t);
            for (String in : List.of("input_ids", "attention_mask", "token_type_ids")) o.writeByteArray(11, valueInfo(in, 7, "batch_size", "sequence_length"));
            o.writeByteArray(12, valueInfo("last_hidden_state", 1, "batch_size", "sequence_length", Integer.toString(s.hidden())));
        });
        return msg(o -> {
            o.writeInt64(1, 8);
            o.writeString(2, "pytorch");
            o.writeString(3, "2.1.0");
            o.writeByteArray(7, graph);
            o.writeByteArray(8, msg(op -> { op.writeString(1, ""); op.writeInt64(2, 17); }));
        });
    }

    /** Reshape [B, T, D] -> [B, T, heads, headDim], its shape built as the exporter builds it. */
    private String splitHeads(String a, String suffix, String x) {
        Spec s = spec;
        String shape;
        if (s.constantReshape()) {
            shape = "onnx::Reshape_" + (anonymous++);
            initializers.add(tensor(shape, 7, new long[]{4}, raw(new long[]{0, 0, s.heads(), s.hidden() / s.heads()})));
        } else {
            int base = suffix.isEmpty() ? 0 : Integer.parseInt(suffix.substring(1)) * 4;
            String shp = node(a + "/Shape" + (base == 0 ? "" : "_" + base), "Shape", List.of(x));
            String b = node(a + "/Gather" + (base == 0 ? "" : "_" + base), "Gather", List.of(shp, longs(a + "/Constant_" + (base + 100), new long[0], 0)), intAttr("axis", 0));
            String t = node(a + "/Gather_" + (base + 1), "Gather", List.of(shp, longs(a + "/Constant_" + (base + 101), new long[0], 1)), intAttr("axis", 0));
            String bu = node(a + "/Unsqueeze" + (base == 0 ? "" : "_" + base), "Unsqueeze", List.of(b, longs(a + "/Constant_" + (base + 102), new long[]{1}, 0)));
            String tu = node(a + "/Unsqueeze_" + (base + 1), "Unsqueeze", List.of(t, longs(a + "/Constant_" + (base + 103), new long[]{1}, 0)));
            shape = node(a + "/Concat" + suffix, "Concat", List.of(bu, tu, longs(a + "/Constant_" + (base + 2), new long[]{1}, s.heads()),
                    longs(a + "/Constant_" + (base + 3), new long[]{1}, s.hidden() / s.heads())), intAttr("axis", 0));
        }
        return node(a + "/Reshape" + suffix, "Reshape", List.of(x, shape));
    }

    /** y = x·W + b with W stored transposed under an anonymous name, b under its state-dict name. */
    private String linear(String module, String hfModule, String x, int in, int out) {
        float[] w = randn(out * in, 0.3f, 0f);
        hfWeights.put(hfModule + ".weight", w);
        hfShapes.put(hfModule + ".weight", new int[]{out, in});
        float[] wt = new float[w.length];
        for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) wt[i * out + o] = w[o * in + i];
        String name = "onnx::MatMul_" + (anonymous++);
        initializers.add(tensor(name, 1, new long[]{in, out}, raw(wt)));
        String bias = param(hfModule + ".bias", 0.1f, 0f, out);
        return node(module + "/Add", "Add", List.of(bias, node(module + "/MatMul", "MatMul", List.of(x, name))));
    }

    private String layerNorm(String module, String hfModule, String x) {
        String w = param(hfModule + ".weight", 0.1f, 1f, spec.hidden());
        String b = param(hfModule + ".bias", 0.1f, 0f, spec.hidden());
        if (spec.fusedLayerNorm()) {
            return node(module + "/LayerNormalization", "LayerNormalization", List.of(x, w, b), intAttr("axis", -1), floatAttr("epsilon", spec.eps()));
        }
        String mean = node(module + "/ReduceMean", "ReduceMean", List.of(x), intsAttr("axes", -1));
        String centered = node(module + "/Sub", "Sub", List.of(x, mean));
        String sq = node(module + "/Pow", "Pow", List.of(centered, floats(module + "/Constant", 2f)));
        String var = node(module + "/ReduceMean_1", "ReduceMean", List.of(sq), intsAttr("axes", -1));
        String std = node(module + "/Sqrt", "Sqrt", List.of(node(module + "/Add", "Add", List.of(var, floats(module + "/Constant_1", spec.eps())))));
        String normed = node(module + "/Div", "Div", List.of(centered, std));
        return node(module + "/Add_1", "Add", List.of(node(module + "/Mul", "Mul", List.of(normed, w)), b));
    }

    /** A named parameter initializer (recorded as a Hugging Face weight). */
    private String param(String name, float std, float mean, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = randn(n, std, mean);
        hfWeights.put(name, v);
        hfShapes.put(name, shape);
        long[] dims = new long[shape.length];
        for (int i = 0; i < dims.length; i++) dims[i] = shape[i];
        initializers.add(tensor(name, 1, dims, raw(v)));
        return name;
    }

    private float[] randn(int n, float std, float mean) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = Math.max(rng.nextDouble(), 1e-300), u2 = rng.nextDouble();
            v[i] = (float) (mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }

    // ---- protobuf ----------------------------------------------------------------------------

    private interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] msg(Body body) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            body.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A NodeProto with one output "{name}_output_0"; returns the output. */
    private String node(String name, String op, List<String> inputs, byte[]... attributes) {
        String output = name + "_output_0";
        nodes.add(msg(o -> {
            for (String in : inputs) o.writeString(1, in);
            o.writeString(2, output);
            if (!spec.unnamedNodes()) o.writeString(3, name);
            o.writeString(4, op);
            for (byte[] a : attributes) o.writeByteArray(5, a);
        }));
        return output;
    }

    /** A Constant node holding an INT64 tensor of the given dims. */
    private String longs(String name, long[] dims, long... values) {
        return node(name, "Constant", List.of(), tensorAttr("value", tensor("", 7, dims, raw(values))));
    }

    /** A Constant node holding a FLOAT scalar. */
    private String floats(String name, float value) {
        return node(name, "Constant", List.of(), tensorAttr("value", tensor("", 1, new long[0], raw(new float[]{value}))));
    }

    private static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) {
        return msg(o -> {
            if (dims.length > 0) o.writeByteArray(1, msg(p -> { for (long d : dims) p.writeInt64NoTag(d); }));
            o.writeInt32(2, dataType);
            if (!name.isEmpty()) o.writeString(8, name);
            o.writeBytes(9, ByteString.copyFrom(raw));
        });
    }

    private static byte[] intAttr(String name, long v) {
        return msg(o -> { o.writeString(1, name); o.writeInt64(3, v); o.writeInt32(20, 2); });
    }

    private static byte[] floatAttr(String name, float v) {
        return msg(o -> { o.writeString(1, name); o.writeFloat(2, v); o.writeInt32(20, 1); });
    }

    private static byte[] intsAttr(String name, long... v) {
        return msg(o -> {
            o.writeString(1, name);
            o.writeByteArray(8, msg(p -> { for (long x : v) p.writeInt64NoTag(x); }));
            o.writeInt32(20, 7);
        });
    }

    private static byte[] tensorAttr(String name, byte[] tensor) {
        return msg(o -> { o.writeString(1, name); o.writeByteArray(5, tensor); o.writeInt32(20, 4); });
    }

    private static byte[] valueInfo(String name, int elemType, String... dims) {
        byte[] shape = msg(s -> {
            for (String d : dims) {
                s.writeByteArray(1, msg(dim -> {
                    if (d.chars().allMatch(Character::isDigit)) dim.writeInt64(1, Long.parseLong(d));
                    else dim.writeString(2, d);
                }));
            }
        });
        byte[] tensorType = msg(t -> { t.writeInt32(1, elemType); t.writeByteArray(2, shape); });
        return msg(o -> { o.writeString(1, name); o.writeByteArray(2, msg(t -> t.writeByteArray(1, tensorType))); });
    }

    private static byte[] raw(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static byte[] raw(long[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long l : v) b.putLong(l);
        return b.array();
    }
}
