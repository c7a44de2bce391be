package dev.tune4j.oracle;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** libtorch's native library loads through the bytedeco bindings and runs forward and backward. */
class TorchLoadsTest {

    @Test
    void matmulAndBackwardRoundTripThroughJavaArrays() {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = Torch.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3).set_requires_grad(true);
            Tensor b = Torch.of(new float[]{1, 0, 0, 1, 1, 1}, 3, 2);
            Tensor c = a.matmul(b);
            assertArrayEquals(new float[]{4, 5, 10, 11}, Torch.toFloats(c));
            assertArrayEquals(new int[]{2, 2}, Torch.shape(c));
            // d/da sum(a b) = 1 bᵀ: every row of the gradient is the row sums of b.
            c.sum().backward();
            assertArrayEquals(new float[]{1, 1, 2, 1, 1, 2}, Torch.toFloats(a.grad()));
        }
    }
}
