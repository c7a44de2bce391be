package dev.tune4j.generate;

import java.util.List;

/**
 * How the next token is chosen, with Hugging Face generate's semantics and order of the logits
 * processors: repetition penalty, then temperature, then top-k, then top-p, then a draw.
 *
 * @param temperature       0: greedy (argmax); otherwise logits / temperature before sampling
 * @param topK              keep the k most likely tokens (0: all)
 * @param topP              keep the smallest set of most likely tokens whose probability reaches p (1: all)
 * @param repetitionPenalty for every token already in the sequence (prompt included): a positive
 *                          logit divided by it, a negative one multiplied (1: off; CTRL's rule, as HF)
 * @param maxNewTokens      tokens generated at most
 * @param stopStrings       generation ends when the text produced contains one; the text is cut before it
 * @param seed              the draw's random stream (sampling only)
 */
public record Sampling(double temperature, int topK, double topP, double repetitionPenalty, int maxNewTokens,
                       List<String> stopStrings, long seed) {

    public static final Sampling GREEDY = new Sampling(0, 0, 1, 1, 64, List.of(), 0);

    public Sampling {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        }
        if (maxNewTokens < 1) throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
    }

    public boolean greedy() { return temperature == 0; }

    public Sampling withMaxNewTokens(int n) {
        return new Sampling(temperature, topK, topP, repetitionPenalty, n, stopStrings, seed);
    }
}
