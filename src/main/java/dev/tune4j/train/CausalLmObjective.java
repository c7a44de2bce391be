package dev.tune4j.train;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.CrossEntropyOp;
import dev.tune4j.autograd.ops.ReshapeOp;
import dev.tune4j.nn.Transformer;

import java.util.Map;

/** Next-token cross-entropy, averaged over the scored (non-ignored) target tokens. */
public final class CausalLmObjective implements Objective<LmBatch> {
    private final Transformer model;

    public CausalLmObjective(Transformer model) {
        this.model = model;
    }

    @Override
    public Loss loss(LmBatch batch) {
        Var logits = model.logits(batch.tokens());
        int rows = batch.tokens().batch() * batch.tokens().seq();
        Var flat = ReshapeOp.apply(logits, rows, model.config.vocabSize);
        Var loss = CrossEntropyOp.apply(flat, batch.targets(), LmBatch.IGNORE);
        return new Loss(loss, batch.scoredTokens(), Map.of());
    }
}
