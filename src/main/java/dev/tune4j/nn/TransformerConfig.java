package dev.tune4j.nn;

import dev.tune4j.autograd.ops.GeluOp;
import dev.tune4j.autograd.ops.RopeOp;
import dev.tune4j.kernel.RopeTable;

/**
 * Every architectural knob of the transformers tune4j builds. Model families (model.llama,
 * model.gpt2, model.bert) translate a Hugging Face config.json into one of these.
 */
public final class TransformerConfig {
    public enum Mlp { GELU, SWIGLU }
    public enum Positions { LEARNED, ROPE }

    public int vocabSize = 256;
    public int hidden = 64;
    public int layers = 2;
    public int heads = 4;
    public int kvHeads = 4;
    public int headDim = -1; // -1: hidden / heads
    public int intermediate = 256;
    public int maxPositions = 512;
    public int typeVocabSize = 0; // BERT token types; 0 = none

    public Norm.Kind norm = Norm.Kind.LAYER_NORM;
    public float normEps = 1e-5f;
    /** Pre-norm (GPT-2, Llama): x + f(norm(x)). Post-norm (BERT): norm(x + f(x)). */
    public boolean preNorm = true;
    /** A norm after the last block (pre-norm models); post-norm models instead normalise embeddings. */
    public boolean finalNorm = true;
    public boolean embeddingNorm = false;

    public Mlp mlp = Mlp.GELU;
    public GeluOp.Kind gelu = GeluOp.Kind.TANH;
    public boolean mlpBias = true;

    public boolean qkvBias = true;
    public boolean attnOutBias = true;
    public boolean causal = true;
    /**
     * Mistral's sliding window (0: none). Sliding-window attention is not implemented: within the
     * window it equals full causal attention, so longer sequences are refused rather than computed wrongly.
     */
    public int slidingWindow = 0;

    public Positions positions = Positions.LEARNED;
    public double ropeTheta = 10000;
    public RopeOp.Layout ropeLayout = RopeOp.Layout.HALF_SPLIT;
    /** Rope scaling as in config.json's rope_scaling (null: none). */
    public java.util.Map<String, Object> ropeScaling = null;

    public boolean lmHead = true;
    public boolean tieEmbeddings = true;
    public boolean lmHeadBias = false;

    public float dropout = 0f;
    /** Std of the normal init of Linear and Embedding weights; 0 skips sampling (zeros), for models whose weights are loaded next. */
    public float initStd = 0.02f;
    public long seed = 42;

    /** config.json's rope_scaling as the kernel's scaling: llama3, linear, or none. */
    public RopeTable.Scaling ropeScalingKind() {
        if (ropeScaling == null) return RopeTable.NO_SCALING;
        Object type = ropeScaling.getOrDefault("rope_type", ropeScaling.get("type"));
        String t = type == null ? "default" : type.toString();
        return switch (t) {
            case "default" -> RopeTable.NO_SCALING;
            case "linear" -> new RopeTable.Linear(num("factor"));
            case "llama3" -> new RopeTable.Llama3(num("factor"), num("low_freq_factor"), num("high_freq_factor"),
                    (int) num("original_max_position_embeddings"));
            default -> throw new IllegalArgumentException("unsupported rope_scaling type '" + t + "' (supported: llama3, linear)");
        };
    }

    private double num(String key) {
        Object v = ropeScaling.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("rope_scaling lacks numeric '" + key + "'");
        return n.doubleValue();
    }

    public int headDim() {
        return headDim > 0 ? headDim : hidden / heads;
    }

    public TransformerConfig validate() {
        require(vocabSize > 0 && hidden > 0 && layers >= 0 && heads > 0 && kvHeads > 0, "sizes must be positive (vocabSize " + vocabSize
                + ", hidden " + hidden + ", layers " + layers + ", heads " + heads + ", kvHeads " + kvHeads + ")");
        require(heads % kvHeads == 0, "heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
        require(headDim > 0 || hidden % heads == 0, "hidden (" + hidden + ") must be divisible by heads (" + heads + ")");
        require(headDim() > 0 && (long) Math.max(heads, kvHeads) * headDim() <= Integer.MAX_VALUE,
                "heads (" + heads + ") x head dimension (" + headDim() + ") must be a positive int");
        require(intermediate > 0 && maxPositions > 0, "intermediate size (" + intermediate + ") and positions (" + maxPositions + ") must be positive");
        require(typeVocabSize >= 0, "token types must be >= 0, got " + typeVocabSize);
        require(positions != Positions.ROPE || headDim() % 2 == 0, "RoPE needs an even head dimension");
        require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
        require(normEps > 0 && Float.isFinite(normEps), "the norm epsilon must be a positive number, got " + normEps);
        require(slidingWindow >= 0, "slidingWindow must be >= 0");
        return this;
    }

    private static void require(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException("invalid transformer config: " + msg);
    }

    /** A small GPT-2-style config (learned positions, LayerNorm, GELU tanh, pre-norm). */
    public static TransformerConfig gpt2Like(int vocab, int hidden, int layers, int heads, int maxPositions) {
        TransformerConfig c = new TransformerConfig();
        c.vocabSize = vocab; c.hidden = hidden; c.layers = layers; c.heads = heads; c.kvHeads = heads;
        c.intermediate = 4 * hidden; c.maxPositions = maxPositions;
        return c;
    }

    /** A small Llama-style config (RoPE, RMSNorm, SwiGLU, GQA, no biases). */
    public static TransformerConfig llamaLike(int vocab, int hidden, int layers, int heads, int kvHeads, int maxPositions) {
        TransformerConfig c = new TransformerConfig();
        c.vocabSize = vocab; c.hidden = hidden; c.layers = layers; c.heads = heads; c.kvHeads = kvHeads;
        c.intermediate = 8 * hidden / 3; c.maxPositions = maxPositions;
        c.norm = Norm.Kind.RMS_NORM; c.normEps = 1e-6f; c.mlp = Mlp.SWIGLU; c.mlpBias = false;
        c.qkvBias = false; c.attnOutBias = false; c.positions = Positions.ROPE;
        return c;
    }
}
