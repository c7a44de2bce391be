package dev.tune4j.oracle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Real pre-trained weights under their Hugging Face names, from models packaged on the classpath. */
public final class RealCheckpoints {
    private RealCheckpoints() {}

    /** Classpath resource of the all-MiniLM-L6-v2 ONNX export (from the langchain4j jar). */
    public static final String MINILM_ONNX = "/all-minilm-l6-v2.onnx";

    private static Checkpoint miniLm;

    /**
     * sentence-transformers/all-MiniLM-L6-v2 (a 6-layer BertModel, hidden 384, 12 heads) recovered
     * from the packaged ONNX export: named initializers keep their Hugging Face names; the
     * anonymous MatMul weights (onnx::MatMul_N, stored [in, out]) are named after the module
     * path in their MatMul node's output (/encoder/layer.0/attention/self/query/MatMul_output_0 ->
     * encoder.layer.0.attention.self.query.weight) and transposed to Linear's [out, in]. The export
     * has no pooler. Cached after the first call (about 90 MB of floats).
     */
    public static synchronized Checkpoint allMiniLmL6V2() {
        if (miniLm != null) return miniLm;
        OnnxGraph g;
        try (InputStream in = RealCheckpoints.class.getResourceAsStream(MINILM_ONNX)) {
            if (in == null) throw new IllegalStateException("RealCheckpoints: " + MINILM_ONNX + " is not on the classpath");
            g = OnnxGraph.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, float[]> weights = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (var e : g.floats.entrySet()) {
            String name = e.getKey();
            if (name.startsWith("embeddings.") || name.startsWith("encoder.")) {
                weights.put(name, e.getValue());
                shapes.put(name, g.shapes.get(name));
            }
        }
        for (OnnxGraph.Node n : g.nodes) {
            if (!n.opType().equals("MatMul") || !g.floats.containsKey(n.inputs().get(1))) continue;
            String out = n.outputs().get(0);
            if (!out.endsWith("/MatMul_output_0")) throw new IllegalStateException("RealCheckpoints: unexpected MatMul output " + out);
            String module = out.substring(1, out.length() - "/MatMul_output_0".length()).replace('/', '.');
            int[] s = g.shapes.get(n.inputs().get(1));
            weights.put(module + ".weight", transpose(g.floats.get(n.inputs().get(1)), s[0], s[1]));
            shapes.put(module + ".weight", new int[]{s[1], s[0]});
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architectures", java.util.List.of("BertModel"));
        config.put("model_type", "bert");
        config.put("hidden_size", 384);
        config.put("num_attention_heads", 12);
        config.put("num_hidden_layers", 6);
        config.put("intermediate_size", 1536);
        config.put("hidden_act", "gelu");
        config.put("vocab_size", 30522);
        config.put("max_position_embeddings", 512);
        config.put("type_vocab_size", 2);
        config.put("layer_norm_eps", 1e-12);
        config.put("position_embedding_type", "absolute");
        config.put("pad_token_id", 0);
        miniLm = new Checkpoint(config, weights, shapes);
        return miniLm;
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
