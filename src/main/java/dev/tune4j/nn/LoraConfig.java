package dev.tune4j.nn;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * LoRA settings, with PEFT's meaning ({@code peft.LoraConfig}).
 *
 * @param r             the rank (at least 1)
 * @param alpha         lora_alpha; the update is scaled by alpha / r, or alpha / sqrt(r) with rsLoRA
 * @param dropout       lora_dropout on the adapter's input in training, in [0, 1)
 * @param targetModules Hugging Face module names matched against the end of a module's path
 *                      ("q_proj" adapts every "…​.q_proj"; a full path adapts one module); null, with
 *                      no regex, for the family's defaults
 * @param targetRegex   instead of names: one regular expression matched against the whole module
 *                      path, or "all-linear" (every Linear but the output head); null when names are given
 * @param useRslora     rank-stabilised scaling alpha / sqrt(r)
 * @param modulesToSave Hugging Face modules trained in full and saved with the adapter (a
 *                      classifier head); null for the model's default (a sequence classifier's
 *                      "classifier"), empty for none
 * @param seed          seeds A's initialisation and the dropout streams
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, String targetRegex,
                         boolean useRslora, List<String> modulesToSave, long seed) {

    /** PEFT's shorthand for every Linear layer except the output head. */
    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        if (r < 1) throw new IllegalArgumentException("LoRA r must be at least 1, got " + r);
        if (!Double.isFinite(alpha) || alpha <= 0) throw new IllegalArgumentException("lora_alpha must be positive, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        if (targetModules != null && targetRegex != null) {
            throw new IllegalArgumentException("give target modules either as names or as one regex, not both");
        }
        if (targetModules != null) {
            if (targetModules.isEmpty()) throw new IllegalArgumentException("target_modules is empty");
            for (String t : targetModules) {
                if (t == null || t.isBlank()) throw new IllegalArgumentException("target_modules holds a blank name: " + targetModules);
            }
            targetModules = List.copyOf(targetModules);
        }
        if (targetRegex != null && !isAllLinear(targetRegex)) {
            try {
                Pattern.compile(targetRegex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("target_modules regex '" + targetRegex + "' does not compile: " + e.getDescription());
            }
        }
        if (modulesToSave != null) modulesToSave = List.copyOf(modulesToSave);
    }

    /** Rank r and alpha; no dropout, the family's target modules, the model's default modules to save, seed 0. */
    public static LoraConfig of(int r, double alpha) {
        return new LoraConfig(r, alpha, 0, null, null, false, null, 0);
    }

    public LoraConfig withDropout(double p) {
        return new LoraConfig(r, alpha, p, targetModules, targetRegex, useRslora, modulesToSave, seed);
    }

    public LoraConfig withTargetModules(List<String> names) {
        return new LoraConfig(r, alpha, dropout, names, null, useRslora, modulesToSave, seed);
    }

    public LoraConfig withTargetRegex(String regex) {
        return new LoraConfig(r, alpha, dropout, null, regex, useRslora, modulesToSave, seed);
    }

    public LoraConfig withRslora(boolean on) {
        return new LoraConfig(r, alpha, dropout, targetModules, targetRegex, on, modulesToSave, seed);
    }

    public LoraConfig withModulesToSave(List<String> names) {
        return new LoraConfig(r, alpha, dropout, targetModules, targetRegex, useRslora, names, seed);
    }

    public LoraConfig withSeed(long s) {
        return new LoraConfig(r, alpha, dropout, targetModules, targetRegex, useRslora, modulesToSave, s);
    }

    /** The factor on B·A: alpha / r, or alpha / sqrt(r) with rsLoRA (PEFT's {@code scaling}), in float32 as torch applies it. */
    public float scale() {
        return (float) (useRslora ? alpha / Math.sqrt(r) : alpha / r);
    }

    public static boolean isAllLinear(String regex) {
        return ALL_LINEAR.equalsIgnoreCase(regex);
    }
}
