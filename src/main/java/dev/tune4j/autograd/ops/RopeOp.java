package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.RopeKernel;
import dev.tune4j.kernel.RopeTable;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * Rotary position embedding of x [B, T, H, Dh] (queries or keys, before attention). The backward
 * is the inverse rotation of the incoming gradient (a rotation is orthogonal).
 */
public final class RopeOp {
    private static final String OP = "RopeOp";

    /** Which coordinates of a head form the rotated pairs. */
    public enum Layout {
        /** Pairs (i, i + Dh/2): Hugging Face Llama's rotate_half. */
        HALF_SPLIT,
        /** Pairs (2i, 2i + 1): GPT-J and the original Meta checkpoints. */
        INTERLEAVED
    }

    private RopeOp() {}

    /**
     * @param positions the position of each of the T tokens (the same for every batch row), or of
     *                  each of the B*T rows (e.g. left-padded batches); each below table.maxPositions()
     */
    public static Var apply(Var x, RopeTable table, int[] positions, Layout layout) {
        int[] xs = x.shape();
        Shape.check(xs.length == 4, OP, "x must be [B, T, H, Dh]", xs);
        Shape.check(xs[3] == table.headDim(), OP,
                "head size " + xs[3] + " differs from the table's " + table.headDim(), xs);
        int rows = xs[0] * xs[1];
        int[] pos = positions.clone();
        checkPositions(pos, table, xs);
        boolean interleaved = layout == Layout.INTERLEAVED;
        long t0 = Profile.start();
        Tensor out = Scratch.allocate(xs);
        RopeKernel.rotate(x.data(), out.data(), false, rows, xs[1], xs[2], table, pos, interleaved, false);
        Profile.stop(Profile.Phase.NORMS_ACTIVATIONS, t0);

        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(Profile.timed(Profile.Phase.NORMS_ACTIVATIONS, () -> {
            if (y.grad() == null || !x.requiresGrad()) return;
            RopeKernel.rotate(y.grad().data(), x.gradForAccumulation(), true, rows, xs[1], xs[2], table, pos,
                    interleaved, true);
        }));
        return y;
    }

    /** T or B·T positions, each in the table, for x [B, T, H, Dh]; the errors name its shape. */
    public static void checkPositions(int[] positions, RopeTable table, int[] xs) {
        int rows = xs[0] * xs[1];
        Shape.check(positions.length == xs[1] || positions.length == rows, OP,
                "positions must have T = " + xs[1] + " or B*T = " + rows + " entries, got " + positions.length, xs);
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0 || positions[i] >= table.maxPositions()) {
                throw new IllegalArgumentException(OP + ": position " + positions[i] + " at index " + i
                        + " is outside the table's [0, " + table.maxPositions() + ") (shapes " + Shape.str(xs) + ")");
            }
        }
    }
}
