package dev.tune4j.oracle;

import org.bytedeco.pytorch.Tensor;

import java.util.Map;

import static dev.tune4j.oracle.Torch.s;

/**
 * LoRA as PEFT's {@code lora.Linear} computes it, for the oracles: a layer whose checkpoint holds
 * {@code <module>.lora_A.weight} [r, in] and {@code <module>.lora_B.weight} [out, r] outputs
 * {@code base(x) + scaling · (x·Aᵀ)·Bᵀ} (no dropout), for a Linear and a GPT-2 Conv1D alike (PEFT
 * never transposes A or B, only the merged delta). The settings come from the checkpoint's config
 * map under PEFT's adapter_config.json keys, merged in: {@code lora_r} (PEFT's "r"),
 * {@code lora_alpha}, {@code use_rslora}; scaling = lora_alpha / r, or lora_alpha / sqrt(r) with
 * rsLoRA. Without {@code lora_r} no layer is adapted.
 */
final class LoraTerm {
    private final int r;
    private final double scaling;

    LoraTerm(String who, Map<String, Object> config) {
        Cfg c = new Cfg(who, config);
        r = c.i("lora_r", 0);
        double alpha = c.d("lora_alpha", 8);
        scaling = r == 0 ? 0 : c.b("use_rslora", false) ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** y + scaling · (x·Aᵀ)·Bᵀ when {@code module} is adapted, else y. */
    Tensor add(Tensor y, Tensor x, Leaves w, String module, int in, int out) {
        if (r == 0 || !w.has(module + ".lora_A.weight")) return y;
        Tensor a = w.get(module + ".lora_A.weight", r, in);
        Tensor b = w.get(module + ".lora_B.weight", out, r);
        return y.add(x.matmul(a.t()).matmul(b.t()).mul(s(scaling)));
    }
}
