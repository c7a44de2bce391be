package dev.tune4j.oracle;

import java.util.Map;

/**
 * What an oracle call returns. All arrays are row-major float32 copies of float64 results.
 *
 * @param output      the forward output (hidden states, logits or pooled embeddings)
 * @param outputShape its shape
 * @param loss        the scalar that was differentiated: sum(output * upstream) in upstream mode,
 *                    the mean cross-entropy in loss mode; NaN when nothing was differentiated
 * @param grads       gradient of that scalar per weight the computation used, by Hugging Face name
 *                    (a tied weight gets the sum over its uses); empty when nothing was differentiated
 * @param inputGrad   gradient w.r.t. the input hidden states: for a single layer its input, for a
 *                    whole model the hidden states entering the first layer (after the embeddings);
 *                    null when nothing was differentiated
 */
public record OracleResult(float[] output, int[] outputShape, double loss, Map<String, float[]> grads, float[] inputGrad) {

    public float[] grad(String name) {
        float[] g = grads.get(name);
        if (g == null) throw new IllegalArgumentException("OracleResult: no gradient for " + name + " (have " + grads.keySet() + ")");
        return g;
    }
}
