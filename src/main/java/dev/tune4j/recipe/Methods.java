package dev.tune4j.recipe;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Full and partial fine-tuning: which parameters train. (LoRA freezes the base and adds adapters:
 * see {@link ClassificationTask}.) Frozen parameters get no gradient buffer and no optimizer state,
 * so each frozen weight saves 12 bytes (gradient, two Adam moments) besides its backward work.
 */
final class Methods {
    private Methods() {}

    /** Trainable and total parameter counts, and the bytes freezing saved. */
    record Counts(long trainable, long total) {
        long savedBytes() {
            return (total - trainable) * 12L;
        }

        Map<String, Object> json() {
            return Map.of("trainable", trainable, "total", total, "trainable_percent", 100.0 * trainable / Math.max(1, total),
                    "memory_saved_mb", savedBytes() / 1e6);
        }
    }

    static Counts counts(Module m) {
        Set<Parameter> seen = new HashSet<>();
        long trainable = 0, total = 0;
        for (Parameter p : m.parameters()) {
            if (!seen.add(p)) continue; // tied weights count once
            total += p.value().numel();
            if (!p.frozen()) trainable += p.value().numel();
        }
        return new Counts(trainable, total);
    }

    /**
     * Partial fine-tuning of {@code model}, whose backbone is {@code backbone}: the embeddings, the
     * first {@code layers} blocks, and every parameter matching one of {@code globs} (over tune4j
     * names, or Hugging Face names through {@code hfNames}) are frozen; the rest trains.
     */
    static void partial(Module model, Transformer backbone, Recipe.Partial p, Map<String, String> hfNames) {
        model.unfreezeAll();
        if (p.freezeLayers() > backbone.layers.size()) {
            throw new IllegalArgumentException("partial.freeze_layers is " + p.freezeLayers() + " but the model has " + backbone.layers.size() + " blocks");
        }
        Set<Parameter> frozen = new HashSet<>();
        if (p.freezeEmbeddings()) {
            for (Module e : new Module[] {backbone.embed, backbone.posEmbed, backbone.typeEmbed, backbone.embedNorm}) {
                if (e != null) frozen.addAll(e.parameters());
            }
        }
        for (int i = 0; i < p.freezeLayers(); i++) frozen.addAll(backbone.layers.get(i).parameters());
        for (String glob : p.freeze()) {
            Predicate<String> match = glob(glob);
            int n = 0;
            for (var e : model.namedParameters().entrySet()) {
                String hf = hfNames.get(e.getKey());
                if (match.test(e.getKey()) || (hf != null && match.test(hf))) {
                    frozen.add(e.getValue());
                    n++;
                }
            }
            if (n == 0) throw new IllegalArgumentException("partial.freeze: '" + glob + "' matches no parameter (names look like "
                    + String.join(", ", List.copyOf(hfNames.values()).subList(0, Math.min(3, hfNames.size()))) + ")");
        }
        for (Parameter x : frozen) x.setFrozen(true);
        if (frozen.containsAll(model.parameters())) throw new IllegalArgumentException("partial: every parameter is frozen; nothing would train");
    }

    /** '*' any run of characters, '?' one; everything else literal. */
    static Predicate<String> glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*') re.append(".*");
            else if (c == '?') re.append('.');
            else re.append(Pattern.quote(String.valueOf(c)));
        }
        Pattern p = Pattern.compile(re.toString());
        return s -> p.matcher(s).matches();
    }

    /**
     * For a from-scratch baseline: every weight of the backbone drawn anew as a fresh model of its
     * config would be, with Hugging Face's initializer_range 0.02 (a loaded model's config says 0,
     * which only means "about to be overwritten").
     */
    static void reinitialise(Transformer backbone) {
        float loaded = backbone.config.initStd;
        Transformer fresh;
        try {
            backbone.config.initStd = 0.02f;
            fresh = new Transformer(backbone.config);
        } finally {
            backbone.config.initStd = loaded;
        }
        Map<String, Parameter> target = backbone.namedParameters();
        fresh.namedParameters().forEach((name, p) -> target.get(name).setValue(p.value()));
    }

}
