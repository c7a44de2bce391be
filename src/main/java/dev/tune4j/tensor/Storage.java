package dev.tune4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Where a tensor's elements live: a heap float array (everything the engine computes), or a
 * memory segment of F32/F16/BF16 values (a memory-mapped weights file, read without copying).
 * Kernels that read weights go through {@link #read} so frozen segment-backed weights are upcast
 * row by row instead of copied whole.
 */
public sealed interface Storage permits Storage.Heap, Storage.Segment {

    DType dtype();

    long size();

    float get(long index);

    /** Copies {@code len} elements starting at {@code index} into {@code dst}, upcast to float32. */
    void read(long index, float[] dst, int dstOffset, int len);

    record Heap(float[] array) implements Storage {
        public DType dtype() { return DType.F32; }
        public long size() { return array.length; }
        public float get(long index) { return array[(int) index]; }
        public void read(long index, float[] dst, int dstOffset, int len) {
            System.arraycopy(array, (int) index, dst, dstOffset, len);
        }
    }

    /** Little-endian elements in a segment (safetensors stores little-endian). */
    record Segment(MemorySegment segment, DType dtype) implements Storage {
        static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        public long size() { return segment.byteSize() / dtype.byteSize; }

        public float get(long index) {
            return switch (dtype) {
                case F32 -> segment.get(F32, index * 4);
                case BF16 -> DType.bf16ToF32(segment.get(I16, index * 2));
                case F16 -> DType.f16ToF32(segment.get(I16, index * 2));
            };
        }

        public void read(long index, float[] dst, int dstOffset, int len) {
            switch (dtype) {
                case F32 -> MemorySegment.copy(segment, F32, index * 4, dst, dstOffset, len);
                case BF16 -> Bf16.widen(segment, index * 2, dst, dstOffset, len);
                case F16 -> {
                    for (int i = 0; i < len; i++) dst[dstOffset + i] = DType.f16ToF32(segment.get(I16, (index + i) * 2));
                }
            }
        }
    }
}
