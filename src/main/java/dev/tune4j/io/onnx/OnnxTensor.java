package dev.tune4j.io.onnx;

import dev.tune4j.tensor.Tensor;

import java.util.Arrays;

/**
 * A tensor value from an ONNX file (an initializer or a Constant node's value). Floating-point
 * types (FLOAT, FLOAT16, BFLOAT16, DOUBLE) are decoded to {@code floats}, integer types and BOOL to
 * {@code longs}; exactly one of the two is non-null. The arrays are shared, not copied: treat
 * them as read-only.
 */
public record OnnxTensor(String name, OnnxDataType dataType, long[] dims, float[] floats, long[] longs) {

    public long numel() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** The dims as an int shape (every ONNX weight the engine loads fits). */
    public int[] shape() {
        int[] s = new int[dims.length];
        for (int i = 0; i < s.length; i++) {
            if (dims[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + name + "': dim " + dims[i] + " too large");
            s[i] = (int) dims[i];
        }
        return s;
    }

    public boolean isFloatingPoint() { return floats != null; }

    /** The float data; throws naming the tensor when it holds integers. */
    public float[] floatData() {
        if (floats == null) throw new IllegalStateException("tensor '" + name + "' is " + dataType + ", not floating point");
        return floats;
    }

    /** The integer data; throws naming the tensor when it holds floats. */
    public long[] longData() {
        if (longs == null) throw new IllegalStateException("tensor '" + name + "' is " + dataType + ", not an integer type");
        return longs;
    }

    /** A float32 heap tensor sharing this tensor's float array (integer tensors are converted). */
    public Tensor toTensor() {
        if (floats != null) return Tensor.of(floats, shape());
        float[] f = new float[longs.length];
        for (int i = 0; i < f.length; i++) f[i] = longs[i];
        return Tensor.of(f, shape());
    }

    /** The single value of a one-element tensor (e.g. a LayerNorm epsilon), as a double. */
    public double scalar() {
        if (numel() != 1) throw new IllegalStateException("tensor '" + name + "' has shape " + Arrays.toString(dims) + ", not one element");
        return floats != null ? floats[0] : longs[0];
    }

    @Override
    public String toString() {
        return "OnnxTensor[" + name + " " + dataType + Arrays.toString(dims) + "]";
    }
}
