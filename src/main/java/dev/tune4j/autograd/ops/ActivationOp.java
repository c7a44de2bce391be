package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Activations;
import dev.tune4j.tensor.Tensor;

/** The one op behind the pointwise activations: y = f(x), dx += dy * f'(x) recomputed from x. */
final class ActivationOp {
    private ActivationOp() {}

    /** @param inPlace the caller never reads x again, so x may be overwritten (see {@link Scratch#overwrite}) */
    static Var apply(Activations.Kind kind, Var x, boolean inPlace) {
        long t0 = Profile.start();
        float[] xd = x.value().toHeap().data();
        int n = xd.length;
        Tensor out = inPlace ? Scratch.overwrite(x) : Scratch.allocate(x.shape());
        Activations.forward(kind, xd, out.data(), n);
        Profile.stop(Profile.Phase.NORMS_ACTIVATIONS, t0);
        Var y = Tape.output(out, x);
        if (y.requiresGrad()) Tape.push(Profile.timed(Profile.Phase.NORMS_ACTIVATIONS, () -> {
            if (y.grad() != null) Activations.backward(kind, xd, y.grad().data(), x.gradForAccumulation(), n);
        }));
        return y;
    }
}
