package dev.tune4j.model;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.LoraAdapter;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The LoRA adapters {@link Lora#inject} attached to a model, seen by Hugging Face module names:
 * what a training recipe optimises ({@link #parameters}), what a reference model switches off
 * ({@link #setEnabled}), what merging folds into the weights, and the state dict PEFT saves
 * ({@link #stateDict}: {@code <module>.lora_A.weight} [r, in], {@code <module>.lora_B.weight}
 * [out, r], and each module to save's tensors under its own names and layout).
 */
public final class LoraAdapters {

    /** One adapted Hugging Face module and the engine Linears it is here (several for a split fused module). */
    public record Target(String module, List<String> linears, boolean conv1d) {}

    /** A checkpoint module that is a Linear here: its state-dict path, rule, engine part(s), and whether it is a Conv1D. */
    record HfLinear(String path, WeightRule rule, List<Linear> parts, boolean conv1d) {}

    /** A tensor of a module to save: its rule and state-dict name, the parameters it fills, and the inactive values. */
    static final class Saved {
        final WeightRule rule;
        final String name;
        final List<Parameter> params;
        List<Tensor> stash; // the originals while enabled, the trained copies while disabled

        Saved(WeightRule rule, String name, List<Parameter> params) {
            this.rule = rule;
            this.name = name;
            this.params = List.copyOf(params);
        }

        void makeTrainable() {
            stash = new ArrayList<>();
            for (Parameter p : params) {
                stash.add(p.value());
                p.setValue(p.value().copy());
                p.setFrozen(false);
            }
        }

        void swap() {
            List<Tensor> active = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                active.add(params.get(i).value());
                params.get(i).setValue(stash.get(i));
            }
            stash = active;
        }

        List<Tensor> trained(boolean enabled) {
            return enabled ? params.stream().map(Parameter::value).toList() : stash;
        }
    }

    /** A tensor of the state dict: how to read it, and how to load a value of the same shape. */
    private record Slot(String name, Supplier<Tensor> get, Consumer<Tensor> set) {}

    private final ModelFamily family;
    private final LoraConfig config;
    private final List<HfLinear> targets;
    private final List<Saved> saved;
    private boolean enabled = true;

    LoraAdapters(ModelFamily family, LoraConfig config, List<HfLinear> targets, List<Saved> saved) {
        this.family = family;
        this.config = config;
        this.targets = List.copyOf(targets);
        this.saved = List.copyOf(saved);
    }

    /** The settings as applied: target modules and modules to save spelled out (defaults and "all-linear" resolved). */
    public LoraConfig config() { return config; }

    public List<Target> targets() {
        List<Target> out = new ArrayList<>();
        for (HfLinear t : targets) out.add(new Target(t.path(), t.parts().stream().map(Linear::path).toList(), t.conv1d()));
        return out;
    }

    /** True when a target is a GPT-2 Conv1D (PEFT's fan_in_fan_out, which it sets itself for such layers). */
    public boolean fanInFanOut() {
        return targets.stream().anyMatch(HfLinear::conv1d);
    }

    /** What to optimise: every A (once, even when shared), B, and the modules to save's parameters. */
    public List<Parameter> parameters() {
        Set<Parameter> out = new LinkedHashSet<>();
        for (HfLinear t : targets) {
            for (Linear l : t.parts()) {
                out.add(l.adapter().a());
                out.add(l.adapter().b);
            }
        }
        for (Saved s : saved) out.addAll(s.params);
        return new ArrayList<>(out);
    }

    public boolean enabled() { return enabled; }

    /**
     * Off: the model computes as the base did (adapters skipped, merged ones unmerged, modules to
     * save back to their original weights), e.g. as a DPO reference; on again restores the trained state.
     */
    public void setEnabled(boolean on) {
        if (on == enabled) return;
        for (HfLinear t : targets) for (Linear l : t.parts()) l.setAdapterEnabled(on);
        for (Saved s : saved) s.swap();
        enabled = on;
    }

    /** Folds every adapter into its base weight ({@link Linear#mergeAdapter}). */
    public void merge() {
        if (!enabled) throw new IllegalStateException("cannot merge disabled LoRA adapters; enable them first");
        for (HfLinear t : targets) for (Linear l : t.parts()) l.mergeAdapter();
    }

    /** Restores every original base weight ({@link Linear#unmergeAdapter}). */
    public void unmerge() {
        for (HfLinear t : targets) for (Linear l : t.parts()) l.unmergeAdapter();
    }

    /**
     * The adapter as PEFT's state dict has it, without PEFT's "base_model.model." prefix: lora_A
     * and lora_B per target (a split module's B concatenated back), then the modules to save's
     * tensors (trained values) under their checkpoint names and layouts.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Slot s : slots()) out.put(s.name(), s.get().get());
        return out;
    }

    /**
     * Loads a state dict as {@link #stateDict} writes it, each name preceded by {@code prefix}.
     * Names are compared after the family's canonical spelling (so "h.0.attn.c_attn" finds GPT-2's
     * "transformer.h.0.attn.c_attn"). Every tensor must fit a slot and every slot must be filled;
     * otherwise nothing meaningful is half-loaded and the error names the tensor and the reason.
     *
     * @param source the file, for error messages
     */
    public void loadStateDict(Map<String, Tensor> tensors, String prefix, String source) {
        Map<String, Slot> byKey = new LinkedHashMap<>();
        for (Slot s : slots()) byKey.put(canonicalKey(s.name()), s);
        Map<Slot, Tensor> values = new LinkedHashMap<>();
        for (var e : tensors.entrySet()) {
            String full = e.getKey();
            if (!full.startsWith(prefix)) {
                throw new IllegalArgumentException(source + ": tensor '" + full + "' does not start with '" + prefix + "'");
            }
            String name = full.substring(prefix.length());
            Slot slot = byKey.get(canonicalKey(name));
            if (slot == null) throw new IllegalArgumentException(source + ": tensor '" + full + "' " + unknownReason(name));
            int[] expected = slot.get().get().shape(), got = e.getValue().shape();
            if (!Arrays.equals(expected, got)) {
                String rank = name.endsWith(".lora_A.weight") && got.length == 2 && got[0] != config.r() ? " (rank " + got[0] + ", but r=" + config.r() + ")"
                        : name.endsWith(".lora_B.weight") && got.length == 2 && got[1] != config.r() ? " (rank " + got[1] + ", but r=" + config.r() + ")" : "";
                throw new IllegalArgumentException(source + ": tensor '" + full + "' has shape " + Shape.str(got) + ", expected " + Shape.str(expected) + rank);
            }
            if (values.put(slot, e.getValue()) != null) {
                throw new IllegalArgumentException(source + ": tensor '" + full + "' is a second spelling of '" + prefix + slot.name() + "'");
            }
        }
        for (Slot s : byKey.values()) {
            if (!values.containsKey(s)) throw new IllegalArgumentException(source + ": missing tensor '" + prefix + s.name() + "'");
        }
        values.forEach((slot, t) -> slot.set().accept(t));
    }

    private String unknownReason(String name) {
        for (String suffix : new String[] {".lora_A.weight", ".lora_B.weight"}) {
            if (name.endsWith(suffix)) {
                String module = name.substring(0, name.length() - suffix.length());
                return "is for module '" + module + "', which is not a Linear module adapted by target_modules " + config.targetModules()
                        + (targets.isEmpty() ? "" : " (adapted e.g. " + targets.getFirst().path() + ")");
            }
        }
        if (name.contains("lora_")) return "is a LoRA variant this engine does not support (only lora_A.weight and lora_B.weight of Linear layers)";
        return "is neither a LoRA weight nor a tensor of modules_to_save " + config.modulesToSave();
    }

    /** The name a tensor is matched by: the family's canonical module path, then the LoRA suffix (if any). */
    private String canonicalKey(String name) {
        for (String suffix : new String[] {".lora_A.weight", ".lora_B.weight"}) {
            if (name.endsWith(suffix)) {
                String weight = family.canonicalName(name.substring(0, name.length() - suffix.length()) + ".weight");
                return weight.substring(0, weight.length() - ".weight".length()) + suffix;
            }
        }
        return family.canonicalName(name);
    }

    private List<Slot> slots() {
        List<Slot> out = new ArrayList<>();
        for (HfLinear t : targets) {
            LoraAdapter first = t.parts().getFirst().adapter();
            out.add(new Slot(t.path() + ".lora_A.weight", () -> first.a().value(), v -> first.a().setValue(v.copy())));
            out.add(new Slot(t.path() + ".lora_B.weight", () -> concatRows(t.parts()), v -> splitRows(v.toHeap(), t.parts())));
        }
        for (Saved s : saved) {
            out.add(new Slot(s.name, () -> WeightMapper.toCheckpoint(s.trained(enabled), s.rule), v -> loadSaved(s, v)));
        }
        return out;
    }

    private static Tensor concatRows(List<Linear> parts) {
        if (parts.size() == 1) return parts.getFirst().adapter().b.value();
        int rows = 0, r = parts.getFirst().adapter().rank();
        for (Linear l : parts) rows += l.out;
        float[] d = new float[rows * r];
        int off = 0;
        for (Linear l : parts) {
            float[] b = l.adapter().b.value().toHeap().data();
            System.arraycopy(b, 0, d, off, b.length);
            off += b.length;
        }
        return Tensor.of(d, rows, r);
    }

    private static void splitRows(Tensor fused, List<Linear> parts) {
        int r = fused.dim(1), off = 0;
        for (Linear l : parts) {
            float[] d = Arrays.copyOfRange(fused.data(), off, off + l.out * r);
            l.adapter().b.setValue(Tensor.of(d, l.out, r));
            off += d.length;
        }
    }

    private void loadSaved(Saved s, Tensor v) {
        List<Tensor> parts = WeightMapper.toEngine(v.copy(), s.rule, s.params.size());
        if (enabled) {
            for (int i = 0; i < parts.size(); i++) s.params.get(i).setValue(parts.get(i));
        } else {
            s.stash = List.copyOf(parts);
        }
    }
}
