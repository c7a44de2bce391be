package dev.tune4j.nn;

/**
 * The intermediate results of an inference forward ({@link Block#infer}), sized for a number of
 * token rows and reused by every layer, and by later calls of at most that many rows: one set of
 * buffers per forward instead of a fresh tensor per op (which the JVM zeroes on allocation).
 */
final class InferenceBuffers {
    final int rows;
    /** The normalised input of a sublayer [rows, D] (pre-norm only). */
    final float[] normed;
    /** Projections [rows, Hq·Dh] and [rows, Hkv·Dh], and the attention output [rows, Hq·Dh]. */
    final float[] q, k, v, attn;
    /** A sublayer's output [rows, D], before the residual add. */
    final float[] out;
    /** The MLP's hidden activations [rows, I] (gate: SwiGLU only). */
    final float[] up, gate;

    InferenceBuffers(TransformerConfig c, int rows) {
        int qDim = c.heads * c.headDim(), kvDim = c.kvHeads * c.headDim();
        this.rows = rows;
        this.normed = c.preNorm ? new float[rows * c.hidden] : null;
        this.q = new float[rows * qDim];
        this.k = new float[rows * kvDim];
        this.v = new float[rows * kvDim];
        this.attn = new float[rows * qDim];
        this.out = new float[rows * c.hidden];
        this.up = new float[rows * c.intermediate];
        this.gate = c.mlp == TransformerConfig.Mlp.SWIGLU ? new float[rows * c.intermediate] : null;
    }
}
