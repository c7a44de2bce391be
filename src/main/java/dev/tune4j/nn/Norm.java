package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.AddNormOp;
import dev.tune4j.autograd.ops.LayerNormOp;
import dev.tune4j.autograd.ops.RmsNormOp;
import dev.tune4j.tensor.Tensor;

import java.util.Arrays;

/** LayerNorm (weight + bias) or RMSNorm (weight only) over the last dimension. */
public final class Norm extends Module {
    public enum Kind { LAYER_NORM, RMS_NORM }

    public final Kind kind;
    public final float eps;
    public final Parameter weight;
    public final Parameter bias; // LayerNorm only

    public Norm(Kind kind, int dim, float eps) {
        this.kind = kind;
        this.eps = eps;
        float[] ones = new float[dim];
        Arrays.fill(ones, 1f);
        this.weight = param("weight", Tensor.of(ones, dim));
        this.bias = kind == Kind.LAYER_NORM ? param("bias", Tensor.zeros(dim)) : null;
    }

    public Var forward(Var x) {
        return kind == Kind.LAYER_NORM ? LayerNormOp.apply(x, weight, bias, eps) : RmsNormOp.apply(x, weight, eps);
    }

    /** norm(x + r), the post-norm residual step: one {@link AddNormOp}. */
    public Var forward(Var x, Var r) {
        return AddNormOp.normOfSum(kind == Kind.LAYER_NORM, x, r, weight, bias, eps);
    }

    /** x + r and its norm, the pre-norm residual step (the sum is the residual stream): one {@link AddNormOp}. */
    public AddNormOp.Result addForward(Var x, Var r) {
        return AddNormOp.apply(kind == Kind.LAYER_NORM, x, r, weight, bias, eps);
    }
}
