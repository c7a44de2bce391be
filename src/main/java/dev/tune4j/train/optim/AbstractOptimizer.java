package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shared bookkeeping of the optimizers: parameter groups, per-parameter step counts and state
 * buffers (allocated on a parameter's first update), and checkpoint export/import. A subclass
 * names its per-parameter buffers ({@link #stateNames()}) and implements the update of one
 * parameter ({@link #update}).
 */
public abstract class AbstractOptimizer implements Optimizer {

    /** One parameter with its group, its own step count and its state buffers (null before its first update). */
    protected static final class Slot {
        final Parameter param;
        final ParamGroup group;
        int step;
        float[][] state;

        Slot(Parameter param, ParamGroup group) {
            this.param = param;
            this.group = group;
        }
    }

    private final List<ParamGroup> groups;
    private final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>();
    private int stepCount;

    protected AbstractOptimizer(List<ParamGroup> groups) {
        if (groups.isEmpty()) throw new IllegalArgumentException(kind() + ": no parameter groups");
        this.groups = List.copyOf(groups);
        Set<String> groupNames = new HashSet<>();
        IdentityHashMap<Parameter, String> owner = new IdentityHashMap<>();
        for (ParamGroup g : this.groups) {
            if (!groupNames.add(g.name())) throw new IllegalArgumentException(kind() + ": two parameter groups named '" + g.name() + "'");
            for (Parameter p : g.params()) {
                String prev = owner.put(p, g.name());
                if (prev != null) {
                    throw new IllegalArgumentException(kind() + ": parameter '" + p.name() + "' is listed twice (groups '"
                            + prev + "' and '" + g.name() + "'); it would be updated twice per step");
                }
                if (slots.putIfAbsent(p.name(), new Slot(p, g)) != null) {
                    throw new IllegalArgumentException(kind() + ": two different parameters are named '" + p.name() + "'");
                }
            }
        }
    }

    /** Short name stored in checkpoints ("adamw", "sgd"). */
    protected abstract String kind();

    /** Names of the per-parameter buffers, each shaped like the parameter (may be empty). */
    protected abstract String[] stateNames();

    /** Updates one parameter in place; {@code step} is this parameter's own count, 1 on its first update. */
    protected abstract void update(ParamGroup group, float[] value, float[] grad, float[][] state, int step);

    /** Optimizer-wide settings written to checkpoints and checked on load (not group hyperparameters). */
    protected Map<String, Object> settings() {
        return Map.of();
    }

    @Override
    public void step() {
        stepCount++;
        for (Slot s : slots.values()) {
            Parameter p = s.param;
            if (p.frozen() || p.grad() == null) continue;
            float[] value = heapValue(p);
            if (s.state == null) {
                s.state = new float[stateNames().length][value.length];
            }
            s.step++;
            update(s.group, value, p.grad().data(), s.state, s.step);
        }
    }

    private static float[] heapValue(Parameter p) {
        if (!p.value().isHeap()) {
            throw new IllegalStateException("trainable parameter '" + p.name() + "' is backed by a " + p.value().dtype()
                    + " memory segment; convert it to a float32 heap tensor (Tensor.toHeap) before training");
        }
        return p.value().data();
    }

    @Override
    public void zeroGrad() {
        for (Slot s : slots.values()) s.param.zeroGrad();
    }

    @Override
    public List<ParamGroup> groups() {
        return groups;
    }

    @Override
    public int stepCount() {
        return stepCount;
    }

    @Override
    public Map<String, Tensor> stateTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        String[] names = stateNames();
        for (Slot s : slots.values()) {
            if (s.state == null) continue;
            for (int k = 0; k < names.length; k++) {
                out.put(names[k] + "." + s.param.name(), Tensor.of(s.state[k], s.param.shape()));
            }
        }
        return out;
    }

    @Override
    public Map<String, Object> stateScalars() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("optimizer", kind());
        out.put("step", stepCount);
        out.putAll(settings());
        for (ParamGroup g : groups) {
            String k = "group." + g.name() + ".";
            out.put(k + "lr", g.lr());
            out.put(k + "base_lr", g.baseLr());
            out.put(k + "weight_decay", g.weightDecay());
            out.put(k + "beta1", g.beta1());
            out.put(k + "beta2", g.beta2());
            out.put(k + "eps", g.eps());
        }
        for (Slot s : slots.values()) {
            if (s.state != null) out.put("param_step." + s.param.name(), s.step);
        }
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> tensors, Map<String, Object> scalars) {
        // Validate everything into local copies first, so a checkpoint that does not fit changes nothing.
        String kind = string(scalars, "optimizer");
        if (!kind.equals(kind())) {
            throw new IllegalArgumentException("checkpoint holds " + kind + " optimizer state, not " + kind());
        }
        for (Map.Entry<String, Object> e : settings().entrySet()) {
            String saved = string(scalars, e.getKey());
            if (!saved.equals(String.valueOf(e.getValue()))) {
                throw new IllegalArgumentException(kind() + ": checkpoint was saved with " + e.getKey() + "=" + saved
                        + " but this optimizer has " + e.getValue());
            }
        }
        int newStepCount = integer(scalars, "step");
        double[][] hyper = new double[groups.size()][];
        for (int i = 0; i < groups.size(); i++) {
            String k = "group." + groups.get(i).name() + ".";
            hyper[i] = new double[] {number(scalars, k + "lr"), number(scalars, k + "base_lr"), number(scalars, k + "weight_decay"),
                    number(scalars, k + "beta1"), number(scalars, k + "beta2"), number(scalars, k + "eps")};
        }
        Set<String> knownGroups = new HashSet<>();
        for (ParamGroup g : groups) knownGroups.add(g.name());
        for (String key : scalars.keySet()) {
            if (key.startsWith("group.")) {
                String rest = key.substring("group.".length());
                String groupName = rest.substring(0, Math.max(0, rest.lastIndexOf('.')));
                if (!knownGroups.contains(groupName)) {
                    throw new IllegalArgumentException(kind() + ": checkpoint has parameter group '" + groupName + "' that this optimizer lacks");
                }
            } else if (key.startsWith("param_step.")) {
                String name = key.substring("param_step.".length());
                if (!slots.containsKey(name)) throw new IllegalArgumentException(kind() + ": checkpoint has state for unknown parameter '" + name + "'");
            }
        }

        String[] names = stateNames();
        Map<String, Integer> stateIndex = new HashMap<>();
        for (int k = 0; k < names.length; k++) stateIndex.put(names[k], k);
        Map<String, float[][]> newState = new HashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            Integer k = dot < 0 ? null : stateIndex.get(key.substring(0, dot));
            Slot s = dot < 0 ? null : slots.get(key.substring(dot + 1));
            if (k == null || s == null) {
                throw new IllegalArgumentException(kind() + ": unexpected state tensor '" + key + "' (expected "
                        + Arrays.toString(names) + " followed by '.' and a parameter name)");
            }
            Tensor t = e.getValue();
            if (!Arrays.equals(t.shape(), s.param.shape())) {
                throw new IllegalArgumentException(kind() + ": state tensor '" + key + "' has shape " + Arrays.toString(t.shape())
                        + " but parameter '" + s.param.name() + "' has shape " + Arrays.toString(s.param.shape()));
            }
            float[] copy = new float[(int) t.numel()];
            t.storage().read(0, copy, 0, copy.length);
            newState.computeIfAbsent(s.param.name(), n -> new float[names.length][])[k] = copy;
        }
        Map<String, Integer> newSteps = new HashMap<>();
        for (Slot s : slots.values()) {
            String name = s.param.name();
            boolean hasStep = scalars.containsKey("param_step." + name);
            float[][] st = newState.get(name);
            if (st != null) {
                for (int k = 0; k < names.length; k++) {
                    if (st[k] == null) throw new IllegalArgumentException(kind() + ": checkpoint lacks state tensor '" + names[k] + "." + name + "'");
                }
            }
            if (hasStep) {
                if (st == null && names.length > 0) {
                    throw new IllegalArgumentException(kind() + ": checkpoint has a step count but no state tensors for '" + name + "'");
                }
                newSteps.put(name, integer(scalars, "param_step." + name));
            } else if (st != null) {
                throw new IllegalArgumentException(kind() + ": checkpoint has state tensors but no param_step for '" + name + "'");
            }
        }

        for (int i = 0; i < groups.size(); i++) {
            double[] h = hyper[i];
            groups.get(i).setLr(h[0]).setBaseLr(h[1]).setWeightDecay(h[2]).setBetas(h[3], h[4]).setEps(h[5]);
        }
        for (Slot s : slots.values()) {
            Integer st = newSteps.get(s.param.name());
            s.step = st == null ? 0 : st;
            s.state = st == null ? null : newState.getOrDefault(s.param.name(), new float[0][]);
        }
        stepCount = newStepCount;
    }

    private Object required(Map<String, Object> scalars, String key) {
        Object v = scalars.get(key);
        if (v == null) throw new IllegalArgumentException(kind() + ": checkpoint lacks scalar '" + key + "'");
        return v;
    }

    private String string(Map<String, Object> scalars, String key) {
        return String.valueOf(required(scalars, key));
    }

    private double number(Map<String, Object> scalars, String key) {
        Object v = required(scalars, key);
        if (v instanceof Number n) return n.doubleValue();
        try {
            return Double.parseDouble(v.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(kind() + ": scalar '" + key + "' is not a number: " + v);
        }
    }

    private int integer(Map<String, Object> scalars, String key) {
        double d = number(scalars, key);
        if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(kind() + ": scalar '" + key + "' is not a non-negative integer: " + scalars.get(key));
        }
        return (int) d;
    }

    /** All parameters in group order (each once). */
    public List<Parameter> params() {
        List<Parameter> out = new ArrayList<>(slots.size());
        for (Slot s : slots.values()) out.add(s.param);
        return out;
    }
}
