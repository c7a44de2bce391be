package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.LinearOp;
import dev.tune4j.tensor.Tensor;

import java.util.SplittableRandom;

/** y = x·Wᵀ + b with W stored [out, in], as in PyTorch and Hugging Face checkpoints. */
public final class Linear extends Module {
    public final int in, out;
    public final Parameter weight;
    public final Parameter bias; // null when the layer has none

    /** @param initStd the normal init's std; 0 gives zeros without drawing (weights about to be loaded) */
    public Linear(int in, int out, boolean bias, SplittableRandom rng, float initStd) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", initStd == 0f ? Tensor.zeros(out, in) : Tensor.randn(rng, initStd, out, in));
        this.bias = bias ? param("bias", Tensor.zeros(out)) : null;
    }

    public Var forward(Var x) {
        return LinearOp.apply(x, weight, bias);
    }
}
