package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Norms;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** The one op behind LayerNorm (centered) and RMSNorm: see {@link Norms}. */
final class NormOp {
    private NormOp() {}

    static Var apply(String op, boolean centered, Var x, Var gamma, Var beta, float eps) {
        int[] xs = x.shape();
        Shape.check(xs.length >= 1, op, "input needs at least one dimension", xs);
        int dim = xs[xs.length - 1];
        Shape.check(gamma.shape().length == 1 && gamma.dim(0) == dim, op, "gamma must be [last dim of x]", xs, gamma.shape());
        if (beta != null) {
            Shape.check(beta.shape().length == 1 && beta.dim(0) == dim, op, "beta must be [last dim of x]", xs, beta.shape());
        }
        if (!(eps >= 0f)) throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        float[] xd = x.value().toHeap().data();
        float[] g = gamma.value().toHeap().data();
        float[] b = beta == null ? null : beta.value().toHeap().data();
        int rows = dim == 0 ? 0 : xd.length / dim;
        float[] mean = centered ? new float[rows] : null;
        float[] rstd = new float[rows];
        Tensor out = Tensor.zeros(xs);
        Norms.forward(centered, xd, g, b, out.data(), mean, rstd, rows, dim, eps);
        Var y = Tape.output(out, x, gamma, beta);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            Norms.backward(centered, xd, g, mean, rstd, y.grad().data(),
                    x.requiresGrad() ? x.gradForAccumulation() : null,
                    gamma.requiresGrad() ? gamma.gradForAccumulation() : null,
                    beta != null && beta.requiresGrad() ? beta.gradForAccumulation() : null,
                    rows, dim);
        });
        return y;
    }
}
