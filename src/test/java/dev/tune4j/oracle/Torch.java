package dev.tune4j.oracle;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.Arrays;

/**
 * Conversions between plain Java arrays and libtorch tensors. The oracle computes in float64 so
 * that its own rounding is negligible next to a float32 engine's.
 */
final class Torch {
    private Torch() {}

    /** float64 copy of {@code data} laid out row-major in {@code shape}. */
    static Tensor of(float[] data, int... shape) {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("oracle: " + data.length + " values do not fill shape " + Arrays.toString(shape));
        }
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) d[i] = data[i];
        return ofDoubles(d, shape);
    }

    static Tensor ofDoubles(double[] data, int... shape) {
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException("oracle: " + data.length + " values do not fill shape " + Arrays.toString(shape));
        }
        // from_blob borrows the buffer; clone() gives the tensor its own copy before the pointer goes.
        try (DoublePointer p = new DoublePointer(data)) {
            return torch.from_blob(p, longs(shape), new TensorOptions(ScalarType.Double)).clone();
        }
    }

    /** int64 tensor [rows, cols] from a rectangular int[rows][cols]. */
    static Tensor ids(int[][] ids, String what) {
        int rows = ids.length, cols = ids.length == 0 ? 0 : ids[0].length;
        long[] flat = new long[rows * cols];
        for (int r = 0; r < rows; r++) {
            if (ids[r].length != cols) {
                throw new IllegalArgumentException("oracle: " + what + " is ragged (row 0 has " + cols
                        + " entries, row " + r + " has " + ids[r].length + ")");
            }
            for (int c = 0; c < cols; c++) flat[r * cols + c] = ids[r][c];
        }
        try (LongPointer p = new LongPointer(flat)) {
            return torch.from_blob(p, new long[]{rows, cols}, new TensorOptions(ScalarType.Long)).clone();
        }
    }

    static float[] toFloats(Tensor t) {
        double[] d = toDoubles(t);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    static double[] toDoubles(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Double).contiguous();
        double[] d = new double[Math.toIntExact(c.numel())];
        c.data_ptr_double().get(d);
        return d;
    }

    static int[] shape(Tensor t) {
        long[] s = t.shape();
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) r[i] = Math.toIntExact(s[i]);
        return r;
    }

    static long[] longs(int[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) r[i] = shape[i];
        return r;
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    static Scalar s(double v) { return new Scalar(v); }

    static Tensor mean(Tensor x, long dim, boolean keep) {
        return x.mean(new long[]{dim}, keep, new ScalarTypeOptional());
    }

    static Tensor sum(Tensor x, long dim, boolean keep) {
        return x.sum(new long[]{dim}, keep, new ScalarTypeOptional());
    }

    static Tensor cat(long dim, Tensor... parts) {
        return torch.cat(new TensorVector(parts), dim);
    }
}
