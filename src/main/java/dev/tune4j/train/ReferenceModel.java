package dev.tune4j.train;

import dev.tune4j.model.LoraAdapters;
import dev.tune4j.nn.Transformer;

/**
 * The starting policy that DPO's log-ratios and RL's KL penalty compare with. Under LoRA it is the
 * same model with the new adapters switched off (no second copy of the weights); under full
 * fine-tuning a second, frozen instance (its weights memory-mapped from the checkpoint, not copied
 * while frozen). Preference training with a fixed dataset needs it once: {@code task: dpo} scores
 * every pair before the first update and trains on those figures. RL scores fresh samples each
 * rollout, so it calls it every time. Never recorded on a tape.
 */
@FunctionalInterface
public interface ReferenceModel {

    /** Per position of the batch, the reference's log-probability of the target (0 where ignored). */
    float[] tokenLogProbs(LmBatch batch);

    /** The policy with its LoRA adapters off for the duration of the call. */
    static ReferenceModel adapterOff(Transformer policy, LoraAdapters adapters) {
        return batch -> {
            adapters.setEnabled(false);
            try {
                return SequenceLogProbs.tokens(policy, batch);
            } finally {
                adapters.setEnabled(true);
            }
        };
    }

    /** A separate model that is never trained. */
    static ReferenceModel frozen(Transformer reference) {
        return batch -> SequenceLogProbs.tokens(reference, batch);
    }
}
