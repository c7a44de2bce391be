package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * The same elements under a new shape (no copy: the output shares x's storage). One dimension may
 * be -1, inferred from the element count.
 */
public final class ReshapeOp {
    private ReshapeOp() {}

    public static Var apply(Var x, int... shape) {
        int[] s = resolve(x.shape(), shape);
        Tensor out = x.value().reshape(s);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() != null) Elementwise.axpy(1f, y.grad().data(), x.gradForAccumulation(), (int) out.numel());
        });
        return y;
    }

    private static int[] resolve(int[] from, int[] shape) {
        int[] s = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                Shape.check(infer < 0, "ReshapeOp", "more than one -1 dimension", from, shape);
                infer = i;
            } else {
                Shape.check(s[i] >= 0, "ReshapeOp", "negative dimension", from, shape);
                known *= s[i];
            }
        }
        long n = Shape.numel(from);
        if (infer >= 0) {
            Shape.check(known > 0 && n % known == 0, "ReshapeOp", "element count not divisible", from, shape);
            s[infer] = (int) (n / known);
        }
        Shape.check(Shape.numel(s) == n, "ReshapeOp", "element count differs", from, shape);
        return s;
    }
}
