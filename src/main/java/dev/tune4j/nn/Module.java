package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A node of the model tree: owns named parameters and named children. Full parameter names are
 * the dotted path from the root ("layers.0.attn.q.weight"), in registration order, which is also
 * the order optimizers and checkpoints see them in.
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;
    private boolean attached;

    protected Parameter param(String name, Tensor init) {
        requireDetached();
        if (params.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("duplicate name " + name);
        Parameter p = new Parameter(name, init);
        params.put(name, p);
        return p;
    }

    /**
     * Attaches a fully built child. Parameter names are prefixed with the child's name here, so a
     * module must be complete before it is attached (build bottom-up).
     */
    protected <M extends Module> M child(String name, M module) {
        requireDetached();
        if (params.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("duplicate name " + name);
        Module m = module; // private fields are not reachable through the type variable
        if (m.attached) throw new IllegalStateException("module already attached elsewhere: " + name);
        m.attached = true;
        for (Parameter p : module.parameters()) p.prefixName(name);
        children.put(name, module);
        return module;
    }

    private void requireDetached() {
        if (attached) throw new IllegalStateException("add parameters and children before attaching a module to its parent");
    }

    /** All parameters below this module, by full dotted name, in registration order. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        for (var e : params.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        for (var e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out);
    }

    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public List<Parameter> trainableParameters() {
        return parameters().stream().filter(p -> !p.frozen()).toList();
    }

    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) n += p.value().numel();
        return n;
    }

    public long trainableParameterCount() {
        long n = 0;
        for (Parameter p : trainableParameters()) n += p.value().numel();
        return n;
    }

    /** Freezes every parameter whose full name matches; returns how many were frozen. */
    public int freeze(Predicate<String> which) {
        int n = 0;
        for (var e : namedParameters().entrySet()) {
            if (which.test(e.getKey())) {
                e.getValue().setFrozen(true);
                n++;
            }
        }
        return n;
    }

    public void unfreezeAll() {
        for (Parameter p : parameters()) p.setFrozen(false);
    }

    public Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** Training mode enables dropout; evaluation mode disables it. Applies to the whole subtree. */
    public void train(boolean on) {
        training = on;
        for (Module m : children.values()) m.train(on);
    }

    public boolean isTraining() {
        return training;
    }

    public void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }
}
