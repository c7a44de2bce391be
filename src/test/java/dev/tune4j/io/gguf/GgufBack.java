package dev.tune4j.io.gguf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.model.Families;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.ModelFamily;
import dev.tune4j.model.TensorSource;
import dev.tune4j.model.WeightMapper;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A Llama-family GGUF read back into our engine, written independently of the exporter: the
 * llama/qwen2 metadata as a config.json, llama.cpp's tensor names mapped back to Hugging Face's,
 * and (for {@code llama}) attn_q/attn_k rows taken from llama.cpp's interleaved rotary pairs back
 * to Hugging Face's halves; then the family builds and loads the {@link Transformer} as it would
 * from a checkpoint folder. Llama 3 rope scaling ({@code rope_freqs.weight}) is not mapped back.
 */
public final class GgufBack {
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.(weight|bias)");
    private static final Map<String, String> BLOCK_NAMES = Map.ofEntries(
            Map.entry("attn_norm", "input_layernorm"), Map.entry("attn_q", "self_attn.q_proj"), Map.entry("attn_k", "self_attn.k_proj"),
            Map.entry("attn_v", "self_attn.v_proj"), Map.entry("attn_output", "self_attn.o_proj"), Map.entry("ffn_norm", "post_attention_layernorm"),
            Map.entry("ffn_gate", "mlp.gate_proj"), Map.entry("ffn_up", "mlp.up_proj"), Map.entry("ffn_down", "mlp.down_proj"));

    private GgufBack() {}

    /** The config.json the file's metadata describes. */
    static ObjectNode config(GgufFile f) {
        String arch = f.require("general.architecture").asString();
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add(arch.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        c.put("model_type", arch);
        c.put("hidden_size", f.require(arch + ".embedding_length").asLong());
        c.put("intermediate_size", f.require(arch + ".feed_forward_length").asLong());
        c.put("num_hidden_layers", f.require(arch + ".block_count").asLong());
        c.put("num_attention_heads", f.require(arch + ".attention.head_count").asLong());
        c.put("num_key_value_heads", f.require(arch + ".attention.head_count_kv").asLong());
        c.put("max_position_embeddings", f.require(arch + ".context_length").asLong());
        c.put("rms_norm_eps", f.require(arch + ".attention.layer_norm_rms_epsilon").asDouble());
        c.put("rope_theta", f.require(arch + ".rope.freq_base").asDouble());
        if (f.metadata().containsKey(arch + ".attention.key_length")) c.put("head_dim", f.require(arch + ".attention.key_length").asLong());
        c.put("vocab_size", f.tensors().get("token_embd.weight").shape()[0]);
        c.put("tie_word_embeddings", !f.tensors().containsKey("output.weight"));
        c.put("hidden_act", "silu");
        return c;
    }

    /** The Transformer with the file's weights, built and loaded by the Llama family. */
    public static Transformer load(GgufFile f) {
        HfConfig hf = new HfConfig(config(f), f.path().toString());
        ModelFamily family = Families.forConfig(hf);
        TransformerConfig c = family.config(hf);
        boolean llama = hf.modelType().equals("llama");
        int headDim = c.headDim();
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (String name : f.tensors().keySet()) {
            Tensor t = f.tensor(name);
            Matcher m = BLOCK.matcher(name);
            String hfName = switch (name) {
                case "token_embd.weight" -> "model.embed_tokens.weight";
                case "output_norm.weight" -> "model.norm.weight";
                case "output.weight" -> "lm_head.weight";
                default -> {
                    if (!m.matches()) throw new IllegalArgumentException("unexpected tensor " + name);
                    yield "model.layers." + m.group(1) + "." + BLOCK_NAMES.get(m.group(2)) + "." + m.group(3);
                }
            };
            if (llama && name.contains(".attn_q.")) t = unpermute(t, headDim);
            if (llama && name.contains(".attn_k.")) t = unpermute(t, headDim);
            weights.put(hfName, t);
        }
        Transformer model = new Transformer(c);
        WeightMapper.LoadReport report = WeightMapper.load(model, family.weights(c, hf), family, TensorSource.of(weights, f.toString()));
        assertEquals(model.parameters().size(), report.loaded(), "every parameter loaded from the GGUF");
        model.train(false);
        return model;
    }

    /** Row 2i+h of each head (llama.cpp) back to row h*d/2+i (Hugging Face), for a weight or a bias. */
    static Tensor unpermute(Tensor t, int headDim) {
        float[] src = t.toHeap().data(), dst = new float[src.length];
        int cols = t.rank() == 1 ? 1 : t.dim(1), half = headDim / 2;
        for (int head = 0; head < t.dim(0) / headDim; head++) {
            for (int i = 0; i < half; i++) {
                for (int h = 0; h < 2; h++) {
                    System.arraycopy(src, (head * headDim + 2 * i + h) * cols, dst, (head * headDim + h * half + i) * cols, cols);
                }
            }
        }
        return Tensor.of(dst, t.shape());
    }
}
