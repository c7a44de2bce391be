package dev.tune4j.autograd;

import dev.tune4j.tensor.Tensor;

/**
 * A trainable leaf of the graph. Freezing a parameter means no gradient is computed or stored for
 * it, and ops skip the backward work that would only feed it.
 */
public final class Parameter extends Var {
    private String name;

    public Parameter(String name, Tensor value) {
        super(value, true);
        this.name = name;
    }

    /** The full dotted name once the owning module is attached to its parents ("layers.0.attn.q.weight"). */
    public String name() { return name; }

    /** Called by a module when it is attached under a parent: names grow from the leaf up. */
    public void prefixName(String prefix) {
        this.name = prefix + "." + name;
    }

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
