package dev.tune4j.autograd;

import dev.tune4j.tensor.Tensor;

/**
 * A trainable leaf of the graph. Freezing a parameter means no gradient is computed or stored for
 * it, and ops skip the backward work that would only feed it.
 */
public final class Parameter extends Var {
    private final String name;

    public Parameter(String name, Tensor value) {
        super(value, true);
        this.name = name;
    }

    public String name() { return name; }

    public boolean frozen() { return !requiresGrad; }

    public void setFrozen(boolean frozen) {
        this.requiresGrad = !frozen;
        if (frozen) clearGrad();
    }

    @Override
    public String toString() {
        return "Parameter(" + name + ", " + java.util.Arrays.toString(shape()) + (frozen() ? ", frozen)" : ")");
    }
}
