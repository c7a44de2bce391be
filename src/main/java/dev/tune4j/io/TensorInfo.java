package dev.tune4j.io;

import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Shape;

import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header: its dtype name as written in the file (any of the
 * format's dtypes, not only those the engine computes with), shape, and byte range relative to the
 * data buffer that follows the header.
 */
public record TensorInfo(String name, String dtype, int[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() { return shape.clone(); }

    public long byteSize() { return end - begin; }

    public long numel() { return Shape.numel(shape); }

    /** True when {@link Checkpoint#tensor} can wrap it (F32, F16 or BF16). */
    public boolean isFloat() {
        return dtype.equals("F32") || dtype.equals("F16") || dtype.equals("BF16");
    }

    /** The engine dtype; throws naming the tensor when the file's dtype is not one of F32/F16/BF16. */
    public DType engineDType(String source) {
        if (!isFloat()) {
            throw new FileFormatException(source, name, "dtype " + dtype
                    + " cannot be loaded as a tensor (supported: F32, F16, BF16; read its raw bytes with bytes(name))");
        }
        return DType.fromSafetensors(dtype);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() {
        return name + " " + dtype + Shape.str(shape) + " @[" + begin + ", " + end + ")";
    }
}
