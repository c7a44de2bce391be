package dev.tune4j.tensor;

/** Element types a tensor's storage can hold. Compute is always float32; F16/BF16 are storage-only. */
public enum DType {
    F32(4, "F32"),
    F16(2, "F16"),
    BF16(2, "BF16");

    public final int byteSize;
    /** The dtype name used in safetensors headers. */
    public final String safetensorsName;

    DType(int byteSize, String safetensorsName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
    }

    /** Parses a safetensors dtype name; the caller names the file and tensor in its error. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) return d;
        }
        throw new IllegalArgumentException("unsupported dtype '" + name + "' (supported: F32, F16, BF16)");
    }

    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even, as torch does; NaN stays NaN. */
    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float f16ToF32(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short f32ToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
