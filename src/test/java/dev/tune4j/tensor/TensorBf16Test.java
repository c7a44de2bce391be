package dev.tune4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class TensorBf16Test {
    @Test
    void bf16CopyKeepsTheShapeAndRoundsEachValueToNearestBf16() {
        Tensor t = Tensor.randn(new SplittableRandom(3), 1f, 7, 5);
        Tensor b = t.toBf16();
        assertEquals(DType.BF16, b.dtype());
        assertArrayEquals(t.shape(), b.shape());
        float[] x = t.data(), y = b.toHeap().data();
        for (int i = 0; i < x.length; i++) {
            assertEquals(DType.bf16ToF32(DType.f32ToBf16(x[i])), y[i], "element " + i);
            assertEquals(x[i], y[i], Math.abs(x[i]) / 256, "bf16 keeps 8 bits of mantissa, element " + i);
        }
    }
}
