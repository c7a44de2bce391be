package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Builds the usual fine-tuning groups from named parameters, with the Hugging Face naming
 * conventions: weight decay only on the weight matrices; none on biases, normalisation weights or
 * embedding tables; embeddings optionally with their own learning rate.
 *
 * <ul>
 *   <li>{@value #DECAY}: everything else (linear/attention weight matrices), with weight decay;</li>
 *   <li>{@value #NO_DECAY}: biases, norm weights and any rank-1 tensor, weight decay 0;</li>
 *   <li>{@value #EMBEDDINGS}: embedding tables, weight decay 0, lr times {@code embeddingLrMultiplier}.</li>
 * </ul>
 * Empty groups are left out. A parameter object listed twice (tied weights, e.g. {@code wte} and
 * {@code lm_head}) is kept once, under its first name, so it is not updated twice per step.
 * Frozen parameters are kept in their group (the optimizer skips them while they have no
 * gradient), so unfreezing later needs no new optimizer.
 */
public final class ParamGroups {
    public static final String DECAY = "decay";
    public static final String NO_DECAY = "no_decay";
    public static final String EMBEDDINGS = "embeddings";

    /** Options for {@link #build}: peak lr, weight decay of the decay group, lr multiplier for embeddings. */
    public record Config(double lr, double weightDecay, double embeddingLrMultiplier) {
        public Config {
            if (!(lr >= 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
            if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
                throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
            }
            if (!(embeddingLrMultiplier >= 0) || !Double.isFinite(embeddingLrMultiplier)) {
                throw new IllegalArgumentException("embedding lr multiplier must be finite and >= 0, got " + embeddingLrMultiplier);
            }
        }

        public Config(double lr, double weightDecay) {
            this(lr, weightDecay, 1.0);
        }
    }

    private ParamGroups() {}

    public static List<ParamGroup> build(List<Parameter> params, Config cfg) {
        List<Parameter> decay = new ArrayList<>(), noDecay = new ArrayList<>(), embed = new ArrayList<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : params) {
            if (!seen.add(p)) continue;
            if (isNoDecay(p)) noDecay.add(p);
            else if (isEmbedding(p)) embed.add(p);
            else decay.add(p);
        }
        List<ParamGroup> groups = new ArrayList<>();
        if (!decay.isEmpty()) groups.add(new ParamGroup(DECAY, decay, cfg.lr(), cfg.weightDecay()));
        if (!noDecay.isEmpty()) groups.add(new ParamGroup(NO_DECAY, noDecay, cfg.lr(), 0));
        if (!embed.isEmpty()) groups.add(new ParamGroup(EMBEDDINGS, embed, cfg.lr() * cfg.embeddingLrMultiplier(), 0));
        return groups;
    }

    public static List<ParamGroup> build(List<Parameter> params, double lr, double weightDecay) {
        return build(params, new Config(lr, weightDecay));
    }

    /** Biases, normalisation weights ("norm", "LayerNorm", GPT-2's "ln_1"/"ln_f") and rank-1 tensors. */
    public static boolean isNoDecay(Parameter p) {
        String n = p.name().toLowerCase(Locale.ROOT);
        if (p.value().rank() <= 1 || n.endsWith("bias") || n.contains("norm")) return true;
        for (String seg : n.split("\\.")) {
            if (seg.startsWith("ln_") || seg.matches("ln\\d*")) return true;
        }
        return false;
    }

    /** Embedding tables: "embed" (embeddings, embed_tokens, ...), GPT-2's "wte" and "wpe". */
    public static boolean isEmbedding(Parameter p) {
        String n = p.name().toLowerCase(Locale.ROOT);
        return n.contains("embed") || n.contains("wte") || n.contains("wpe");
    }
}
