package dev.tune4j.io.onnx;

/** {@code TensorProto.DataType} codes of onnx.proto, with element sizes in raw_data. */
public enum OnnxDataType {
    UNDEFINED(0, 0), FLOAT(1, 4), UINT8(2, 1), INT8(3, 1), UINT16(4, 2), INT16(5, 2), INT32(6, 4),
    INT64(7, 8), STRING(8, 0), BOOL(9, 1), FLOAT16(10, 2), DOUBLE(11, 8), UINT32(12, 4), UINT64(13, 8),
    COMPLEX64(14, 8), COMPLEX128(15, 16), BFLOAT16(16, 2);

    public final int code;
    /** Bytes per element in raw_data; 0 for types without a fixed width. */
    public final int byteSize;

    OnnxDataType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The type for a code, or null when the code is not one this reader knows. */
    public static OnnxDataType of(int code) {
        for (OnnxDataType t : values()) if (t.code == code) return t;
        return null;
    }

    /** FLOAT, FLOAT16, BFLOAT16, DOUBLE: held as float[] in {@link OnnxTensor}; the integer types as long[]. */
    public boolean isFloatingPoint() {
        return this == FLOAT || this == FLOAT16 || this == BFLOAT16 || this == DOUBLE;
    }
}
