package dev.tune4j.io.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * ggml's Q8_0 blocks, bit for bit as {@code quantize_row_q8_0_ref} makes them: for each block of 32
 * values x, {@code d = max|x| / 127} (float32), {@code q_j = roundf(x_j / d)} (half away from zero;
 * all zero when d is 0), stored as d in f16 (round to nearest even) followed by the 32 q as int8.
 * Decoding gives {@code x_j ≈ f16(d) * q_j}: an error of at most d/2 from rounding q plus what
 * rounding d to f16 adds (relative 2^-11 of |x|).
 */
public final class Q8_0Codec {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 2 + BLOCK;

    private Q8_0Codec() {}

    /** Encodes {@code n} values (a multiple of 32) from {@code x[from..]} into {@code out} at its position. */
    public static void encode(float[] x, int from, int n, ByteBuffer out) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("Q8_0 encodes whole blocks of " + BLOCK + ", got " + n + " values");
        out.order(ByteOrder.LITTLE_ENDIAN);
        for (int b = from; b < from + n; b += BLOCK) {
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[b + j]));
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            out.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK; j++) out.put((byte) roundf(x[b + j] * id));
        }
    }

    /** Decodes {@code n} values (a multiple of 32) from {@code in} at its position into {@code x[from..]}. */
    public static void decode(ByteBuffer in, float[] x, int from, int n) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("Q8_0 decodes whole blocks of " + BLOCK + ", got " + n + " values");
        in.order(ByteOrder.LITTLE_ENDIAN);
        for (int b = from; b < from + n; b += BLOCK) {
            float d = Float.float16ToFloat(in.getShort());
            for (int j = 0; j < BLOCK; j++) x[b + j] = d * in.get();
        }
    }

    /** C's roundf: halves away from zero (Math.round would send -2.5 to -2). Exact in double for any float. */
    private static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
