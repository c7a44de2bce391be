package dev.tune4j.model;

import dev.tune4j.nn.Norm;
import dev.tune4j.nn.TransformerConfig;

import java.util.List;

/**
 * The shapes of well-known checkpoints, for benchmarks that need a real model's size without its
 * weights (random weights of exactly these shapes).
 */
public final class ModelPresets {
    private ModelPresets() {}

    public static final List<String> NAMES = List.of("gpt2-124m", "smollm2-135m");

    public static TransformerConfig get(String name) {
        return switch (name) {
            // openai-community/gpt2: 12 layers, 768 wide, 12 heads, 50257 tokens, 1024 learned positions, tied head
            case "gpt2-124m" -> {
                TransformerConfig c = TransformerConfig.gpt2Like(50257, 768, 12, 12, 1024);
                c.normEps = 1e-5f;
                yield c;
            }
            // HuggingFaceTB/SmolLM2-135M: Llama layout, 30 layers, 576 wide, 9 heads / 3 KV heads, MLP 1536, tied
            case "smollm2-135m" -> {
                TransformerConfig c = TransformerConfig.llamaLike(49152, 576, 30, 9, 3, 8192);
                c.intermediate = 1536;
                c.norm = Norm.Kind.RMS_NORM;
                c.normEps = 1e-5f;
                c.ropeTheta = 100000;
                c.tieEmbeddings = true;
                yield c;
            }
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }
}
