package dev.tune4j.oracle;

import java.util.Map;

/** Rotary-embedding inverse frequencies as Hugging Face derives them from config.json. */
public final class Rope {
    private Rope() {}

    /**
     * The {@code headDim / 2} inverse frequencies for a Llama-family config: {@code rope_theta}
     * (default 10000), the head size ({@code head_dim}, else hidden_size / num_attention_heads) and
     * {@code rope_scaling} with {@code rope_type} (or legacy {@code type}) absent/"default",
     * "linear" (divide by factor) or "llama3" (Llama 3.1: leave high frequencies, divide low ones
     * by factor, blend smoothly in between). Other scaling types are refused.
     */
    public static double[] inverseFrequencies(Map<String, Object> config) {
        Cfg c = new Cfg("Rope", config);
        int heads = c.i("num_attention_heads");
        int headDim = c.i("head_dim", c.i("hidden_size") / heads);
        if (c.d("partial_rotary_factor", 1.0) != 1.0) throw c.unsupported("partial_rotary_factor " + c.d("partial_rotary_factor"));
        double theta = c.d("rope_theta", 10000.0);
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);

        Map<String, Object> scaling = c.map("rope_scaling");
        if (scaling == null) return inv;
        Cfg sc = new Cfg("Rope (rope_scaling)", scaling);
        String type = sc.s("rope_type", sc.s("type", "default"));
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                double factor = sc.d("factor");
                for (int i = 0; i < inv.length; i++) inv[i] /= factor;
            }
            case "llama3" -> llama3(inv, sc.d("factor"), sc.d("low_freq_factor"), sc.d("high_freq_factor"),
                    sc.d("original_max_position_embeddings"));
            default -> throw c.unsupported("rope_scaling type " + type);
        }
        return inv;
    }

    /**
     * Llama 3.1 frequency scaling, in place. With wavelength w = 2π / f: w shorter than
     * oldContext / highFreqFactor keeps f; w longer than oldContext / lowFreqFactor gets f / factor;
     * in between, f is blended as (1 - s) f / factor + s f with s = (oldContext / w - low) / (high - low),
     * which meets both ends continuously.
     */
    static void llama3(double[] inv, double factor, double lowFreqFactor, double highFreqFactor, double oldContext) {
        double lowFreqWavelen = oldContext / lowFreqFactor;
        double highFreqWavelen = oldContext / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double f = inv[i], wavelen = 2 * Math.PI / f;
            if (wavelen < highFreqWavelen) continue;
            if (wavelen > lowFreqWavelen) {
                inv[i] = f / factor;
            } else {
                double smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * f / factor + smooth * f;
            }
        }
    }
}
