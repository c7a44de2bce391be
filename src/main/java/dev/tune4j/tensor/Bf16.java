package dev.tune4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * bfloat16 to float32, a vector at a time: bf16 is the top half of a float32, so widening is
 * {@code bits << 16}. Loading L shorts, sign-extending them to ints (the extension bits are
 * shifted out) and shifting gives L floats per step, several times the scalar loop's rate, which
 * matters where weights stored as bf16 are widened inside a GEMM or a decode step.
 */
final class Bf16 {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16));
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Bf16() {}

    /** dst[dstOffset, +len) = the bf16 values at byte offset {@code byteOffset} of the segment, widened. */
    static void widen(MemorySegment segment, long byteOffset, float[] dst, int dstOffset, int len) {
        int l = F.length(), i = 0;
        for (; i + l <= len; i += l) {
            ShortVector s = ShortVector.fromMemorySegment(S, segment, byteOffset + 2L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector wide = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
            wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        for (; i < len; i++) dst[dstOffset + i] = DType.bf16ToF32(segment.get(I16, byteOffset + 2L * i));
    }
}
