package dev.tune4j.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense, row-major tensor. Compute tensors are float32 on the heap ({@link #data()}); weights
 * loaded from a file may instead wrap a memory segment in F32/F16/BF16 ({@link #storage()}), and
 * are read through {@link Storage#read} without a full copy.
 */
public final class Tensor {
    private final int[] shape;
    private final Storage storage;

    private Tensor(int[] shape, Storage storage) {
        long n = Shape.numel(shape);
        if (n != storage.size()) {
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " needs " + n
                    + " elements but storage holds " + storage.size());
        }
        this.shape = shape.clone();
        this.storage = storage;
    }

    public static Tensor zeros(int... shape) {
        long n = Shape.numel(shape);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor too large for a heap array: " + Shape.str(shape));
        return new Tensor(shape, new Storage.Heap(new float[(int) n]));
    }

    public static Tensor of(float[] data, int... shape) {
        return new Tensor(shape, new Storage.Heap(data));
    }

    public static Tensor wrap(MemorySegment segment, DType dtype, int... shape) {
        return new Tensor(shape, new Storage.Segment(segment, dtype));
    }

    public static Tensor randn(SplittableRandom rng, float std, int... shape) {
        Tensor t = zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (gaussian(rng) * std);
        return t;
    }

    public static Tensor uniform(SplittableRandom rng, float lo, float hi, int... shape) {
        Tensor t = zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return t;
    }

    /** Box-Muller on a SplittableRandom, so results depend only on the seed. */
    public static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(Math.max(u1, 1e-300))) * Math.cos(2 * Math.PI * u2);
    }

    public int[] shape() { return shape.clone(); }

    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public int rank() { return shape.length; }

    public long numel() { return storage.size(); }

    public Storage storage() { return storage; }

    public DType dtype() { return storage.dtype(); }

    public boolean isHeap() { return storage instanceof Storage.Heap; }

    /** The heap float32 array; segment-backed tensors must be converted with {@link #toHeap()} first. */
    public float[] data() {
        if (storage instanceof Storage.Heap h) return h.array();
        throw new IllegalStateException("tensor " + Shape.str(shape) + " is backed by a " + dtype()
                + " memory segment; call toHeap() to get float32 data");
    }

    /** This tensor if it is heap float32, else a float32 heap copy. */
    public Tensor toHeap() {
        if (isHeap()) return this;
        float[] d = new float[(int) numel()];
        storage.read(0, d, 0, d.length);
        return of(d, shape);
    }

    public Tensor copy() {
        if (isHeap()) return of(data().clone(), shape);
        return toHeap();
    }

    /**
     * A bfloat16 copy (round to nearest even) in native memory, for frozen weights stored at half
     * the bytes: the GEMM widens it while packing.
     */
    public Tensor toBf16() {
        float[] d = toHeap().data();
        MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(2L * d.length, 2);
        for (int i = 0; i < d.length; i++) seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, DType.f32ToBf16(d[i]));
        return wrap(seg, DType.BF16, shape);
    }

    /** Same storage, new shape (same element count). */
    public Tensor reshape(int... newShape) {
        Shape.check(Shape.numel(newShape) == numel(), "reshape", "element count differs", shape, newShape);
        return new Tensor(newShape, storage);
    }

    public float get(long index) { return storage.get(index); }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    @Override
    public String toString() {
        return "Tensor" + Shape.str(shape) + " " + dtype();
    }
}
