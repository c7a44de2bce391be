package dev.tune4j.audit;

import java.util.Arrays;
import dev.tune4j.autograd.Var;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.tokenizer.Encoding;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Scores one response under a decoder: the prompt and response rendered by a {@link PromptFormat}
 * and tokenized once; the response's tokens are those (not special) whose character span overlaps
 * the response's span. Its loss is the mean next-token cross-entropy over them,
 * −(1/m) Σ log softmax(logits at i−1)[id_i], in nats per token; only the first {@code maxLength}
 * tokens (at most the model's positions) are read: a longer text is scored on what fits. Logits are made only for the positions
 * scored, a chunk at a time, so a 150k vocabulary costs a chunk of rows, not the whole sequence.
 */
final class ResponseScorer {
    private static final int CHUNK = 64;
    /** Repetition is measured over token n-grams of this size. */
    static final int NGRAM = 4;

    private final Transformer lm;
    private final Tokenizer tokenizer;
    private final PromptFormat format;
    private final int maxLength;

    /**
     * @param tokens     response tokens in the whole rendered text (0: the response is empty after the format)
     * @param loss       mean nats per scored token (NaN when none is scored)
     * @param repetition the share of the response's token 4-grams that repeat an earlier one (0 below 5 tokens)
     * @param truncated  part of the response lies beyond {@code maxLength} and was not scored
     */
    record Score(int tokens, double loss, double repetition, boolean truncated) {}

    ResponseScorer(PretrainedModel model, PromptFormat format, int maxLength, String spec) {
        Transformer t = model.model();
        if (!t.config.lmHead || !t.config.causal) {
            throw new IllegalArgumentException(spec + " is not a decoder with a language-model head; scoring responses needs one (Llama, Qwen2, Mistral, GPT-2)");
        }
        if (maxLength < 2) throw new IllegalArgumentException("max length must be at least 2, got " + maxLength);
        this.lm = t;
        this.tokenizer = model.requireTokenizer();
        this.format = format;
        this.maxLength = Math.min(maxLength, t.config.maxPositions);   // the model reads no further
    }

    /** Tokens read per rendered text. */
    int maxLength() {
        return maxLength;
    }

    Score score(List<PromptFormat.Turn> prompt, String response) {
        PromptFormat.Rendered r = format.render(prompt, response);
        Encoding e = tokenizer.encode(r.text(), Integer.MAX_VALUE);
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < e.length(); i++) {
            int[] span = e.offsets()[i];
            if (e.specialTokensMask()[i] == 0 && span[1] > r.responseStart() && span[0] < r.responseEnd()) positions.add(i);
        }
        if (positions.isEmpty()) return new Score(0, Double.NaN, 0, false);
        int n = Math.min(e.length(), maxLength);
        List<Integer> scored = positions.stream().filter(i -> i >= 1 && i < n).toList();
        double loss = scored.isEmpty() ? Double.NaN : meanLoss(e.ids(), n, scored);
        return new Score(positions.size(), loss, repetition(e.ids(), positions), positions.getLast() >= n);
    }

    private double meanLoss(int[] ids, int n, List<Integer> scored) {
        boolean wasTraining = lm.isTraining();
        lm.train(false);
        try {
            int d = lm.config.hidden;
            float[] h = lm.hidden(TokenBatch.of(Arrays.copyOf(ids, n), 1, n)).value().toHeap().data();
            double sum = 0;
            for (int from = 0; from < scored.size(); from += CHUNK) {
                int m = Math.min(CHUNK, scored.size() - from);
                float[] rows = new float[m * d];
                for (int k = 0; k < m; k++) System.arraycopy(h, (scored.get(from + k) - 1) * d, rows, k * d, d);
                float[] logits = lm.logits(Var.constant(Tensor.of(rows, m, d))).value().toHeap().data();
                int v = logits.length / m;
                for (int k = 0; k < m; k++) sum += nll(logits, k * v, v, ids[scored.get(from + k)]);
            }
            return sum / scored.size();
        } finally {
            lm.train(wasTraining);
        }
    }

    /** −log softmax(z)[target] = logsumexp(z) − z[target], in double. */
    private static double nll(float[] z, int off, int v, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, z[off + j]);
        double sum = 0;
        for (int j = 0; j < v; j++) sum += Math.exp(z[off + j] - max);
        return max + Math.log(sum) - z[off + target];
    }

    /** 1 − distinct / total over the response's token n-grams. */
    static double repetition(int[] ids, List<Integer> positions) {
        int total = positions.size() - NGRAM + 1;
        if (total < 2) return 0;
        Set<List<Integer>> seen = new HashSet<>();
        for (int s = 0; s < total; s++) {
            List<Integer> g = new ArrayList<>(NGRAM);
            for (int k = 0; k < NGRAM; k++) g.add(ids[positions.get(s + k)]);
            seen.add(g);
        }
        return 1 - (double) seen.size() / total;
    }
}
