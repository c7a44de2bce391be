package dev.tune4j.autograd;

import dev.tune4j.tensor.Tensor;

/**
 * A value in the computation graph: a tensor, and (when it requires a gradient) the gradient of
 * the loss with respect to it, allocated on first accumulation.
 */
public class Var {
    private Tensor value;
    private Tensor grad;
    protected boolean requiresGrad;

    public Var(Tensor value, boolean requiresGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
    }

    /** A constant input: no gradient is ever computed for it. */
    public static Var constant(Tensor value) {
        return new Var(value, false);
    }

    public Tensor value() { return value; }

    public float[] data() { return value.data(); }

    public int[] shape() { return value.shape(); }

    public int dim(int i) { return value.dim(i); }

    public boolean requiresGrad() { return requiresGrad; }

    /** The gradient, or null if none has been accumulated. */
    public Tensor grad() { return grad; }

    /** The gradient buffer to accumulate into (+=), zero-filled on first use. */
    public float[] gradForAccumulation() {
        if (!requiresGrad) throw new IllegalStateException("gradient requested for a Var that does not require one");
        if (grad == null) grad = Tensor.zeros(value.shape());
        return grad.data();
    }

    public void zeroGrad() {
        if (grad != null) java.util.Arrays.fill(grad.data(), 0f);
    }

    /** Drops the gradient buffer (frees memory for frozen or finished values). */
    public void clearGrad() { grad = null; }

    /** Replaces the value in place (e.g. when loading weights); the shape must not change. */
    public void setValue(Tensor v) {
        if (!v.sameShape(value)) {
            throw new IllegalArgumentException("setValue: shape " + java.util.Arrays.toString(v.shape())
                    + " does not match " + java.util.Arrays.toString(value.shape()));
        }
        this.value = v;
    }

    @Override
    public String toString() {
        return "Var" + java.util.Arrays.toString(value.shape()) + (requiresGrad ? " (grad)" : "");
    }
}
