package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Activations;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** silu(gate) * up, fused (the Llama MLP's gating), same shapes. */
public final class SwiGluOp {
    private SwiGluOp() {}

    public static Var apply(Var gate, Var up) {
        return apply(gate, up, false);
    }

    /**
     * As {@link #apply}, for a caller that never reads up again: without a tape, a scratch up is
     * overwritten with the result (see {@link Scratch#overwrite}).
     */
    public static Var applyInPlace(Var gate, Var up) {
        return apply(gate, up, true);
    }

    private static Var apply(Var gate, Var up, boolean inPlace) {
        Shape.check(gate.value().sameShape(up.value()), "SwiGluOp", "gate and up shapes differ", gate.shape(), up.shape());
        long t0 = Profile.start();
        float[] g = gate.value().toHeap().data(), u = up.value().toHeap().data();
        int n = g.length;
        Tensor out = inPlace ? Scratch.overwrite(up) : Scratch.allocate(gate.shape());
        Activations.swigluForward(g, u, out.data(), n);
        Profile.stop(Profile.Phase.NORMS_ACTIVATIONS, t0);
        Var y = Tape.output(out, gate, up);
        if (y.requiresGrad()) Tape.push(Profile.timed(Profile.Phase.NORMS_ACTIVATIONS, () -> {
            if (y.grad() == null) return;
            Activations.swigluBackward(g, u, y.grad().data(),
                    gate.requiresGrad() ? gate.gradForAccumulation() : null,
                    up.requiresGrad() ? up.gradForAccumulation() : null, n);
        }));
        return y;
    }
}
