package dev.tune4j.train;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.CrossEntropyOp;
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
        Var loss = model.lmLoss(model.hidden(batch.tokens()), batch.targets(), LmBatch.IGNORE, CrossEntropyOp.Reduction.MEAN);
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
