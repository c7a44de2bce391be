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

    /** The mean token loss, and its exponential, the perplexity. */
    @Override
    public Evaluator<LmBatch> evaluator() {
        Evaluator<LmBatch> means = Evaluator.means(this);
        return new Evaluator<>() {
            public void add(LmBatch batch) { means.add(batch); }

            public Evaluation result() {
                Evaluation e = means.result();
                return new Evaluation(e.loss(), e.count(), Map.of("perplexity", Math.exp(e.loss())), Map.of());
            }
        };
    }
}
