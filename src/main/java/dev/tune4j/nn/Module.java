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
 *
 * <p>Each module knows its path from the root, so parameters and children may be added after it
 * has been attached (a LoRA adapter's "layers.0.attn.q.lora_A" on a loaded model); attaching a
 * subtree prefixes the names below it.
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;
    private boolean attached;
    private String path = "";

    protected Parameter param(String name, Tensor init) {
        requireFreeName(name);
        Parameter p = new Parameter(qualified(name), init);
        params.put(name, p);
        return p;
    }

    /** Attaches a child; its parameters (and any added to it later) are named below this module's path. */
    protected <M extends Module> M child(String name, M module) {
        requireFreeName(name);
        Module m = module; // private fields are not reachable through the type variable
        if (m.attached) throw new IllegalStateException("module already attached elsewhere: " + name);
        m.attached = true;
        m.prefixPath(qualified(name));
        children.put(name, module);
        return module;
    }

    private void requireFreeName(String name) {
        if (params.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("duplicate name " + qualified(name));
    }

    private String qualified(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private void prefixPath(String prefix) {
        path = path.isEmpty() ? prefix : prefix + "." + path;
        for (Parameter p : params.values()) p.prefixName(prefix);
        for (Module c : children.values()) c.prefixPath(prefix);
    }

    /** The dotted path from the root ("layers.0.attn.q"); empty for a root. */
    public String path() {
        return path;
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

    /** This module ("") and every module below it, by dotted path relative to this one, parents first. */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.put(name, this);
        for (var e : children.entrySet()) e.getValue().collectModules(name.isEmpty() ? e.getKey() : name + "." + e.getKey(), out);
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
