package dev.tune4j.model.llama;

import dev.tune4j.io.gguf.GgmlType;
import dev.tune4j.io.gguf.GgufValue;
import dev.tune4j.io.gguf.GgufVocab;
import dev.tune4j.io.gguf.GgufWriter;
import dev.tune4j.kernel.RopeTable;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Llama-family causal LM (Llama 2/3, SmolLM2, Mistral, Qwen2) as a GGUF file that llama.cpp
 * loads, following its convert_hf_to_gguf.py (LlamaModel, Qwen2Model, TextModel) and gguf-py:
 *
 * <ul>
 *   <li>architecture {@code qwen2} for Qwen2 checkpoints, {@code llama} for the rest, with the keys
 *       llama.cpp reads: block_count, context_length, embedding_length, feed_forward_length,
 *       attention.head_count(_kv), rope.freq_base, attention.layer_norm_rms_epsilon,
 *       attention.key_length/value_length when config.json sets head_dim, and for {@code llama}
 *       vocab_size and rope.dimension_count; linear rope scaling as rope.scaling.*, Llama 3's as
 *       the {@code rope_freqs.weight} tensor (each frequency's divisor, from {@link RopeTable});</li>
 *   <li>tensors under llama.cpp's names (token_embd, blk.N.attn_q/k/v/output, ffn_gate/up/down,
 *       attn_norm, ffn_norm, output_norm, output); a tied head writes no {@code output.weight}
 *       (llama.cpp then uses token_embd);</li>
 *   <li>for {@code llama}, the rows of attn_q and attn_k (weights and biases) permuted from Hugging
 *       Face's rotary layout (each head's first half, then its second half) back to the interleaved
 *       pairs llama.cpp rotates: row {@code 2i + h} of a head is Hugging Face's row
 *       {@code h * headDim/2 + i}; {@code qwen2} keeps Hugging Face's layout, as llama.cpp rotates
 *       it in NEOX mode;</li>
 *   <li>1-D tensors and norms in F32; the rest in the chosen type, with llama.cpp's fallback to
 *       F16 for a Q8_0 tensor whose rows are not whole blocks of 32;</li>
 *   <li>the tokenizer through {@link GgufVocab}; general.file_type, general.quantization_version 2.</li>
 * </ul>
 * Sliding-window attention (Mistral) is not described: llama.cpp's {@code llama} graph has none,
 * which matches the model for contexts up to the window.
 */
public final class LlamaGguf {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("input_layernorm.weight", "attn_norm.weight"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"), Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"), Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"), Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
            Map.entry("self_attn.o_proj.weight", "attn_output.weight"), Map.entry("self_attn.o_proj.bias", "attn_output.bias"),
            Map.entry("post_attention_layernorm.weight", "ffn_norm.weight"),
            Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"), Map.entry("mlp.gate_proj.bias", "ffn_gate.bias"),
            Map.entry("mlp.up_proj.weight", "ffn_up.weight"), Map.entry("mlp.up_proj.bias", "ffn_up.bias"),
            Map.entry("mlp.down_proj.weight", "ffn_down.weight"), Map.entry("mlp.down_proj.bias", "ffn_down.bias"));
    private static final Map<String, String> GLOBAL_NAMES = Map.of(
            "model.embed_tokens.weight", "token_embd.weight", "model.norm.weight", "output_norm.weight", "lm_head.weight", "output.weight");

    /**
     * @param dtype        F32, F16, BF16 or Q8_0 for the matrices
     * @param name         general.name
     * @param tokenizerPre a llama.cpp pre-tokenizer name instead of the recognised one, or null
     */
    public record Options(GgmlType dtype, String name, String tokenizerPre) {}

    /** What was written: the architecture, the tensor count per stored type, the vocabulary. */
    public record Result(String architecture, Map<GgmlType, Integer> tensorTypes, GgufVocab vocab) {}

    private LlamaGguf() {}

    /** The llama.cpp architecture for a Llama-family config.json: qwen2 or llama. */
    public static String architecture(HfConfig hf) {
        return "qwen2".equals(hf.modelType()) ? "qwen2" : "llama";
    }

    /** llama.cpp's tensor name for a Llama-family checkpoint tensor. */
    public static String tensorName(String hfName) {
        String global = GLOBAL_NAMES.get(hfName);
        if (global != null) return global;
        Matcher m = LAYER.matcher(hfName);
        String local = m.matches() ? LAYER_NAMES.get(m.group(2)) : null;
        if (local == null) throw new IllegalArgumentException("no llama.cpp tensor name for '" + hfName + "'");
        return "blk." + m.group(1) + "." + local;
    }

    /**
     * Hugging Face's rotary row order to llama.cpp's, per head: rows {@code [x_0..x_{d/2-1}, y_0..y_{d/2-1}]}
     * become {@code [x_0, y_0, x_1, y_1, ...]}. Works on a weight [heads*d, in] or a bias [heads*d].
     */
    public static Tensor permuteRotary(Tensor t, int heads) {
        float[] src = t.toHeap().data(), dst = new float[src.length];
        int rows = t.dim(0), cols = t.rank() == 1 ? 1 : t.dim(1), d = rows / heads, half = d / 2;
        if (rows % heads != 0 || d % 2 != 0) throw new IllegalArgumentException("cannot split " + rows + " rows into " + heads + " rotary heads");
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int part = 0; part < 2; part++) {
                    System.arraycopy(src, (h * d + part * half + i) * cols, dst, (h * d + 2 * i + part) * cols, cols);
                }
            }
        }
        return Tensor.of(dst, t.shape());
    }

    /** Writes {@code m} (with any adapters already merged) to {@code out}. */
    public static Result export(PretrainedModel m, Path out, Options o) throws IOException {
        if (!(m.family() instanceof LlamaFamily)) {
            throw new IllegalArgumentException(m.spec() + ": GGUF export supports the Llama family (Llama, SmolLM2, Mistral, Qwen2), not " + m.family().name());
        }
        HfConfig hf = m.hfConfig();
        TransformerConfig c = m.config();
        if (!c.lmHead) throw new IllegalArgumentException(m.spec() + ": a " + hf.architecture() + " has no language-model head; GGUF export writes causal LMs");
        byte[] tokenizerJson = m.tokenizerFiles().get("tokenizer.json");
        if (tokenizerJson == null) {
            throw new IllegalArgumentException(m.spec() + ": GGUF export embeds the tokenizer, and the model has no tokenizer.json; pass --tokenizer PATH");
        }
        String arch = architecture(hf);
        GgufVocab vocab = GgufVocab.fromHuggingFace(tokenizerJson, m.tokenizerFiles().get("tokenizer_config.json"), hf.root(), c.vocabSize,
                o.tokenizerPre(), m.spec());

        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string(arch));
        w.put("general.type", GgufValue.string("model"));
        if (o.name() != null && !o.name().isBlank()) w.put("general.name", GgufValue.string(o.name()));
        w.put(arch + ".block_count", GgufValue.u32(c.layers));
        w.put(arch + ".context_length", GgufValue.u32(c.maxPositions));
        w.put(arch + ".embedding_length", GgufValue.u32(c.hidden));
        w.put(arch + ".feed_forward_length", GgufValue.u32(c.intermediate));
        w.put(arch + ".attention.head_count", GgufValue.u32(c.heads));
        w.put(arch + ".attention.head_count_kv", GgufValue.u32(c.kvHeads));
        w.put(arch + ".rope.freq_base", GgufValue.f32(c.ropeTheta));
        w.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.f32(c.normEps));
        if (hf.has("head_dim")) {
            w.put(arch + ".attention.key_length", GgufValue.u32(c.headDim()));
            w.put(arch + ".attention.value_length", GgufValue.u32(c.headDim()));
        }
        w.put("general.file_type", GgufValue.u32(fileType(o.dtype())));
        if (arch.equals("llama")) {
            w.put(arch + ".vocab_size", GgufValue.u32(c.vocabSize));
            w.put(arch + ".rope.dimension_count", GgufValue.u32(c.headDim()));
        }
        RopeTable.Scaling scaling = c.ropeScalingKind();
        if (scaling instanceof RopeTable.Linear lin) {
            w.put(arch + ".rope.scaling.type", GgufValue.string("linear"));
            w.put(arch + ".rope.scaling.factor", GgufValue.f32(lin.factor()));
        }
        w.put("general.quantization_version", GgufValue.u32(2));
        vocab.addTo(w);

        Map<GgmlType, Integer> types = new TreeMap<>();
        if (scaling instanceof RopeTable.Llama3) {
            if (!arch.equals("llama")) throw new IllegalArgumentException(m.spec() + ": llama.cpp reads Llama 3 rope scaling for the llama architecture only, not " + arch);
            float[] factors = ropeFactors(c, scaling);
            add(w, types, "rope_freqs.weight", GgmlType.F32, new int[] {factors.length}, () -> Tensor.of(factors, factors.length));
        }
        for (var e : m.exportWeights().entrySet()) {
            String name = tensorName(e.getKey());
            Tensor t = e.getValue();
            int[] shape = t.shape();
            Supplier<Tensor> source = () -> t;
            if (arch.equals("llama") && name.contains(".attn_q.")) source = () -> permuteRotary(t, c.heads);
            if (arch.equals("llama") && name.contains(".attn_k.")) source = () -> permuteRotary(t, c.kvHeads);
            add(w, types, name, storedType(name, shape, o.dtype()), shape, source);
        }
        w.write(out);
        return new Result(arch, types, vocab);
    }

    private static void add(GgufWriter w, Map<GgmlType, Integer> types, String name, GgmlType type, int[] shape, Supplier<Tensor> source) {
        w.addTensor(name, type, shape, source);
        types.merge(type, 1, Integer::sum);
    }

    /** convert_hf_to_gguf.py's choice: F32 for 1-D tensors and norms, else the file's type, F16 where Q8_0 blocks do not fit a row. */
    static GgmlType storedType(String name, int[] shape, GgmlType dtype) {
        if (shape.length <= 1 || name.endsWith("_norm.weight")) return GgmlType.F32;
        if (!dtype.fitsRow(shape[shape.length - 1])) return GgmlType.F16;
        return dtype;
    }

    /** llama.cpp's general.file_type (LlamaFileType) for a file of mostly {@code dtype}. */
    static int fileType(GgmlType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
        };
    }

    /** rope_freqs.weight: the factor llama.cpp divides each rotary frequency by, unscaled over scaled. */
    static float[] ropeFactors(TransformerConfig c, RopeTable.Scaling scaling) {
        double[] plain = RopeTable.inverseFrequencies(c.headDim(), c.ropeTheta, RopeTable.NO_SCALING);
        double[] scaled = RopeTable.inverseFrequencies(c.headDim(), c.ropeTheta, scaling);
        float[] f = new float[plain.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) (plain[i] / scaled[i]);
        return f;
    }
}
