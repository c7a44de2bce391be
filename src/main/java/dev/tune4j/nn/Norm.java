package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.LayerNormOp;
import dev.tune4j.autograd.ops.RmsNormOp;
import dev.tune4j.kernel.Norms;
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

    /**
     * Inference, with the residual add fused: sum = x + r (r null: no add, sum unused), then
     * y = norm(sum), over rows of {@code weight}'s size; sum and y may be x. The same arithmetic as
     * an {@code AddOp} followed by {@link #forward}.
     */
    void addForwardInto(float[] x, float[] r, float[] sum, float[] y, int rows) {
        int dim = weight.value().dim(0);
        float[] b = bias == null ? null : bias.value().toHeap().data();
        Norms.addForward(kind == Kind.LAYER_NORM, x, r, sum, weight.value().toHeap().data(), b, y, null, null, rows, dim, eps);
    }
}
