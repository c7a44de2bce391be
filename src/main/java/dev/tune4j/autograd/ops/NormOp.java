package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.kernel.Norms;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * The one op behind LayerNorm (centered) and RMSNorm, with or without a residual added first
 * ({@link AddNormOp}): sum = x + r (x itself when r is null), y = norm(sum); see {@link Norms}.
 * The per-row statistics are kept only when a gradient is wanted.
 */
final class NormOp {
    private NormOp() {}

    static Var apply(String op, boolean centered, Var x, Var gamma, Var beta, float eps) {
        return apply(op, centered, x, null, false, gamma, beta, eps).y();
    }

    /**
     * @param r       the residual added to x first, or null for none
     * @param withSum whether the caller reads the sum; if not, and no gradient is wanted, it is
     *                never stored apart from y (the result's sum is then null)
     */
    static AddNormOp.Result apply(String op, boolean centered, Var x, Var r, boolean withSum, Var gamma, Var beta, float eps) {
        int[] xs = x.shape();
        Shape.check(xs.length >= 1, op, "input needs at least one dimension", xs);
        if (r != null) Shape.check(r.value().sameShape(x.value()), op, "x and the residual differ in shape", xs, r.shape());
        int dim = xs[xs.length - 1];
        Shape.check(gamma.shape().length == 1 && gamma.dim(0) == dim, op, "gamma must be [last dim of x]", xs, gamma.shape());
        if (beta != null) {
            Shape.check(beta.shape().length == 1 && beta.dim(0) == dim, op, "beta must be [last dim of x]", xs, beta.shape());
        }
        if (!(eps >= 0f)) throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        long t0 = Profile.start();
        float[] xd = x.value().toHeap().data();
        float[] rd = r == null ? null : r.value().toHeap().data();
        float[] g = gamma.value().toHeap().data();
        float[] b = beta == null ? null : beta.value().toHeap().data();
        int n = xd.length, rows = dim == 0 ? 0 : n / dim;
        boolean grad = Tape.needsGrad(x, r, gamma, beta);
        float[] mean = centered && grad ? new float[rows] : null;
        float[] rstd = grad ? new float[rows] : null;
        Tensor out = Scratch.allocate(xs);
        Tensor sumOut = r != null && (withSum || grad) ? Scratch.allocate(xs) : null;
        // the sum is x itself without a residual; unread and not needed by a backward, it is
        // written into y's buffer and normalised there
        float[] sd = r == null ? xd : sumOut != null ? sumOut.data() : out.data();
        Norms.addForward(centered, xd, rd, sd, g, b, out.data(), mean, rstd, rows, dim, eps);
        Profile.stop(Profile.Phase.NORMS_ACTIVATIONS, t0);

        Var sum = r == null ? x : sumOut != null ? Tape.output(sumOut, x, r) : null;
        Var y = Tape.output(out, x, r, gamma, beta);
        if (y.requiresGrad()) Tape.push(Profile.timed(Profile.Phase.NORMS_ACTIVATIONS, () -> {
            // The norm's dx goes into sum's gradient, which by now holds what sum's other readers
            // sent (a pre-norm residual stream), then on to x and r: AddOp and NormOp's order.
            if (y.grad() != null) {
                Norms.backward(centered, sd, g, mean, rstd, y.grad().data(),
                        sum.requiresGrad() ? sum.gradForAccumulation() : null,
                        gamma.requiresGrad() ? gamma.gradForAccumulation() : null,
                        beta != null && beta.requiresGrad() ? beta.gradForAccumulation() : null,
                        rows, dim);
            }
            if (r != null && sum.grad() != null) {
                float[] ds = sum.grad().data();
                if (x.requiresGrad()) Elementwise.axpy(1f, ds, x.gradForAccumulation(), n);
                if (r.requiresGrad()) Elementwise.axpy(1f, ds, r.gradForAccumulation(), n);
            }
        }));
        return new AddNormOp.Result(withSum ? sum : null, y);
    }
}
