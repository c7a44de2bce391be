package dev.tune4j.model;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.LoraAdapter;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Attaches LoRA adapters to a loaded model the way PEFT's {@code get_peft_model} chooses modules,
 * by Hugging Face module names (the family's {@link WeightRule}s say which engine Linear each
 * checkpoint module became):
 * <ul>
 *   <li>target names match a module whose path is the name or ends with "." + name ("q_proj",
 *       "attention.self.query"); every name must match something. A regex string must match the
 *       whole path; "all-linear" takes every Linear but the output head;</li>
 *   <li>a module that is (or lies inside) one of {@code modules_to_save} is never a target;</li>
 *   <li>a fused module split here (GPT-2's c_attn into q, k, v) gets one adapter, as in PEFT: one A
 *       shared by the parts, and B split row-wise among them;</li>
 *   <li>{@code modules_to_save} modules (e.g. a classifier head) are trained in full: their
 *       parameters become trainable heap copies, the originals kept for a disabled adapter;</li>
 *   <li>everything else is frozen.</li>
 * </ul>
 * LoRA on the LM head is refused: the head's projection does not run through {@link Linear#forward}.
 */
public final class Lora {
    private Lora() {}

    /** Injects adapters into {@code model}'s module (built on first use). */
    public static LoraAdapters inject(PretrainedModel model, LoraConfig config) {
        return inject(model.module(), model.family(), model.hfConfig(), model.rules(), config);
    }

    /**
     * Injects adapters into {@code module}, whose parameters {@code rules} map to the checkpoint of
     * {@code family} (config {@code hf}).
     */
    public static LoraAdapters inject(Module module, ModelFamily family, HfConfig hf, List<WeightRule> rules, LoraConfig config) {
        Map<String, Module> modules = module.namedModules();
        Set<Linear> lmHeads = new HashSet<>(), outputHeads = new HashSet<>();
        for (Module m : modules.values()) {
            if (m instanceof Linear l && l.adapter() != null) throw new IllegalStateException("the model already has LoRA adapters (" + l.path() + ")");
            if (m instanceof Transformer t && t.lmHead != null) lmHeads.add(t.lmHead);
            if (m instanceof SequenceClassifier c) outputHeads.add(c.output());
        }
        outputHeads.addAll(lmHeads);
        Scope scope = new Scope(family, hf, rules, linears(modules, family, hf, rules), lmHeads, outputHeads);

        List<String> saveNames = config.modulesToSave() != null ? config.modulesToSave()
                : module instanceof SequenceClassifier c ? defaultModulesToSave(c) : List.of();
        List<LoraAdapters.Saved> saved = modulesToSave(saveNames, scope, module.namedParameters());
        List<LoraAdapters.HfLinear> chosen = new ArrayList<>();
        LoraConfig resolved = chooseTargets(config, saveNames, scope, chosen).withModulesToSave(saveNames);
        for (var t : chosen) {
            if (!Collections.disjoint(t.parts(), lmHeads)) {
                throw new IllegalArgumentException("LoRA on the LM head (" + t.path() + ") is not supported: its projection does not run through Linear.forward");
            }
        }

        module.freeze(name -> true);
        for (var s : saved) s.makeTrainable();
        SplittableRandom rng = new SplittableRandom(config.seed());
        float scale = config.scale(), dropout = (float) config.dropout();
        for (var t : chosen) {
            LoraAdapter first = t.parts().getFirst().addAdapter(config.r(), scale, dropout, rng);
            for (Linear part : t.parts().subList(1, t.parts().size())) part.addAdapterSharingA(first);
        }
        return new LoraAdapters(family, resolved, chosen, saved);
    }

    /** What injection looks at: the family's naming, its checkpoint Linears, and the heads that need care. */
    private record Scope(ModelFamily family, HfConfig hf, List<WeightRule> rules, List<LoraAdapters.HfLinear> linears,
                         Set<Linear> lmHeads, Set<Linear> outputHeads) {}

    /** Adds the adapted modules to {@code chosen}, in model order; returns the config with its targets spelled out. */
    private static LoraConfig chooseTargets(LoraConfig config, List<String> saveNames, Scope scope, List<LoraAdapters.HfLinear> chosen) {
        LoraConfig resolved;
        if (config.targetRegex() != null && LoraConfig.isAllLinear(config.targetRegex())) {
            for (var t : scope.linears()) if (Collections.disjoint(t.parts(), scope.outputHeads())) chosen.add(t);
            chosen.removeIf(t -> savedModule(t.path(), saveNames));
            // PEFT replaces "all-linear" by the module names it found.
            return config.withTargetModules(chosen.stream().map(LoraAdapters.HfLinear::path).toList());
        }
        if (config.targetRegex() != null) {
            Pattern p = Pattern.compile(config.targetRegex());
            for (var t : scope.linears()) if (p.matcher(t.path()).matches()) chosen.add(t);
            if (chosen.isEmpty()) throw noMatch("target_modules regex '" + config.targetRegex() + "' matches no Linear module", scope);
            resolved = config;
        } else {
            List<String> names = config.targetModules() != null ? config.targetModules() : scope.family().defaultLoraTargets();
            if (names.isEmpty()) throw noMatch("no target_modules given and the " + scope.family().name() + " family has no default", scope);
            Set<LoraAdapters.HfLinear> matched = new HashSet<>();
            for (String name : names) {
                List<LoraAdapters.HfLinear> hits = scope.linears().stream().filter(t -> endsWithModule(t.path(), name)).toList();
                if (hits.isEmpty()) throw unmatchedTarget(name, scope);
                matched.addAll(hits);
            }
            for (var t : scope.linears()) if (matched.contains(t)) chosen.add(t);
            resolved = config.withTargetModules(names);
        }
        chosen.removeIf(t -> savedModule(t.path(), saveNames));
        return resolved;
    }

    /** PEFT's target_modules name match: the whole path, or its last dotted components. */
    static boolean endsWithModule(String path, String name) {
        return path.equals(name) || path.endsWith("." + name);
    }

    /** PEFT never adapts a module that is, or lies inside, a module to save. */
    private static boolean savedModule(String path, List<String> saveNames) {
        for (String m : saveNames) {
            if (Pattern.compile("(^|.*\\.)" + Pattern.quote(m) + "($|\\..*)").matcher(path).matches()) return true;
        }
        return false;
    }

    /** Every checkpoint module that is a Linear here (one, or several when a fused tensor is split), in rule order. */
    private static List<LoraAdapters.HfLinear> linears(Map<String, Module> modules, ModelFamily family, HfConfig hf, List<WeightRule> rules) {
        List<LoraAdapters.HfLinear> out = new ArrayList<>();
        for (WeightRule rule : rules) {
            if (!rule.hfName().endsWith(".weight")) continue;
            List<Linear> parts = new ArrayList<>();
            for (String ours : rule.ours()) {
                Module m = ours.endsWith(".weight") ? modules.get(ours.substring(0, ours.length() - ".weight".length())) : null;
                if (m instanceof Linear l && l.weight.name().equals(ours)) parts.add(l);
            }
            if (parts.size() != rule.ours().size()) continue;
            String name = family.stateDictName(rule.hfName(), hf);
            boolean conv1d = rule.layout() == WeightRule.Layout.TRANSPOSED || rule.layout() == WeightRule.Layout.SPLIT_TRANSPOSED;
            out.add(new LoraAdapters.HfLinear(name.substring(0, name.length() - ".weight".length()), rule, List.copyOf(parts), conv1d));
        }
        return out;
    }

    /** A classifier's output layer trains in full by default (BERT's "classifier", a decoder's "score"), as PEFT's SEQ_CLS default. */
    private static List<String> defaultModulesToSave(SequenceClassifier c) {
        return List.of(c.pooling() == SequenceClassifier.Pooling.LAST_TOKEN ? "score" : "classifier");
    }

    private static List<LoraAdapters.Saved> modulesToSave(List<String> names, Scope scope, Map<String, Parameter> params) {
        ModelFamily family = scope.family();
        HfConfig hf = scope.hf();
        List<WeightRule> rules = scope.rules();
        Map<WeightRule, LoraAdapters.Saved> out = new LinkedHashMap<>();
        for (String m : names) {
            boolean hit = false;
            for (WeightRule rule : rules) {
                String name = family.stateDictName(rule.hfName(), hf);
                if (!modulePaths(name).stream().anyMatch(p -> endsWithModule(p, m))) continue;
                hit = true;
                if (out.containsKey(rule)) continue;
                List<Parameter> ps = new ArrayList<>();
                for (String o : rule.ours()) ps.add(params.get(o));
                out.put(rule, new LoraAdapters.Saved(rule, name, ps));
            }
            if (!hit) {
                Set<String> available = new LinkedHashSet<>();
                for (WeightRule rule : rules) {
                    for (String p : modulePaths(family.stateDictName(rule.hfName(), hf))) {
                        String last = p.substring(p.lastIndexOf('.') + 1);
                        if (!last.chars().allMatch(Character::isDigit)) available.add(last);
                    }
                }
                throw new IllegalArgumentException("modules_to_save '" + m + "' matches no module of this " + family.name()
                        + " model; modules: " + String.join(", ", available));
            }
        }
        return List.copyOf(out.values());
    }

    /** The modules a tensor lies in: "a.b.c.weight" -> a, a.b, a.b.c. */
    private static List<String> modulePaths(String tensorName) {
        List<String> out = new ArrayList<>();
        for (int i = tensorName.indexOf('.'); i >= 0; i = tensorName.indexOf('.', i + 1)) out.add(tensorName.substring(0, i));
        return out;
    }

    private static IllegalArgumentException unmatchedTarget(String name, Scope scope) {
        for (WeightRule rule : scope.rules()) {
            for (String p : modulePaths(scope.family().stateDictName(rule.hfName(), scope.hf()))) {
                if (endsWithModule(p, name)) {
                    return noMatch("target module '" + name + "' matches " + p + ", which is not a Linear layer (LoRA adapts Linear and Conv1D layers)", scope);
                }
            }
        }
        return noMatch("target module '" + name + "' matches no module of this " + scope.family().name() + " model", scope);
    }

    /** The error, followed by the last names of the Linear modules a target could name. */
    private static IllegalArgumentException noMatch(String what, Scope scope) {
        Set<String> names = new LinkedHashSet<>();
        for (var t : scope.linears()) {
            if (Collections.disjoint(t.parts(), scope.lmHeads())) names.add(t.path().substring(t.path().lastIndexOf('.') + 1));
        }
        return new IllegalArgumentException(what + "; Linear modules: " + String.join(", ", names));
    }
}
