package dev.tune4j.train;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ReshapeOp;
import dev.tune4j.autograd.ops.TokenLogProbsOp;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;

import java.util.List;

/**
 * The log-probability a causal LM gives each completion after its prompt: the sum over the
 * completion's tokens of log p(token | everything before it), and how many tokens that was.
 * Evaluation, replay reports, data audits and preference methods (DPO's policy and reference terms)
 * all score sequences this way. Computed per token by {@link TokenLogProbsOp} (the log-sum-exp in
 * float64), without a tape, from one batched forward, and summed in float64.
 */
public final class SequenceLogProbs {
    private SequenceLogProbs() {}

    /** Per sequence: the summed log-probability of its completion and the number of completion tokens. */
    public record Scores(double[] sum, int[] count) {}

    /**
     * Per token: log p(target | before) for every position of the batch (0 where the target is
     * ignored), without a tape, in evaluation mode. Reference models and rollouts score this way.
     */
    public static float[] tokens(Transformer model, LmBatch batch) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try (Scratch scratch = Scratch.open()) {
            Var logits = model.logits(batch.tokens());
            int rows = batch.tokens().batch() * batch.tokens().seq();
            return TokenLogProbsOp.apply(ReshapeOp.apply(logits, rows, model.config.vocabSize), batch.targets(), LmBatch.IGNORE).data().clone();
        } finally {
            model.train(wasTraining);
        }
    }

    /** Per row of the batch: the sum of its token log-probabilities. */
    public static double[] sums(LmBatch batch, float[] tokenLogProbs) {
        int b = batch.tokens().batch(), t = batch.tokens().seq();
        double[] out = new double[b];
        for (int i = 0; i < b * t; i++) if (batch.targets()[i] != LmBatch.IGNORE) out[i / t] += tokenLogProbs[i];
        return out;
    }

    /** Per row of the batch: how many tokens are scored. */
    public static int[] counts(LmBatch batch) {
        int b = batch.tokens().batch(), t = batch.tokens().seq();
        int[] out = new int[b];
        for (int i = 0; i < b * t; i++) if (batch.targets()[i] != LmBatch.IGNORE) out[i / t]++;
        return out;
    }

    public static Scores score(Transformer model, List<int[]> prompts, List<int[]> completions) {
        LmBatch batch = batch(model.config.vocabSize, prompts, completions);
        return new Scores(sums(batch, tokens(model, batch)), counts(batch));
    }

    /**
     * Prompts and completions as one right-padded batch: each row its prompt then its completion
     * (the last completion token only a target), targets on the completion tokens, padding masked.
     */
    public static LmBatch batch(int vocab, List<int[]> prompts, List<int[]> completions) {
        if (prompts.size() != completions.size()) throw new IllegalArgumentException(prompts.size() + " prompts for " + completions.size() + " completions");
        int n = prompts.size(), t = 1;
        for (int i = 0; i < n; i++) t = Math.max(t, prompts.get(i).length + completions.get(i).length - 1);
        int[] ids = new int[n * t], targets = new int[n * t];
        int[][] mask = new int[n][t];
        java.util.Arrays.fill(targets, LmBatch.IGNORE);
        for (int i = 0; i < n; i++) {
            int[] p = prompts.get(i), c = completions.get(i);
            if (p.length == 0) throw new IllegalArgumentException("sequence " + i + ": the prompt needs at least one token (e.g. BOS)");
            int len = p.length + c.length - 1;   // the last completion token is only a target
            for (int pos = 0; pos < len; pos++) {
                int id = pos < p.length ? p[pos] : c[pos - p.length];
                if (id < 0 || id >= vocab) throw new IllegalArgumentException("sequence " + i + ": token id " + id + " outside the vocabulary");
                ids[i * t + pos] = id;
                mask[i][pos] = 1;
                if (pos + 1 >= p.length) targets[i * t + pos] = c[pos + 1 - p.length];
            }
            if (c.length > 0 && (c[c.length - 1] < 0 || c[c.length - 1] >= vocab)) throw new IllegalArgumentException("sequence " + i + ": completion token outside the vocabulary");
        }
        return new LmBatch(new TokenBatch(ids, n, t, mask, null, null), targets);
    }
}
