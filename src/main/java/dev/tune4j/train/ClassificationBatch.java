package dev.tune4j.train;

import dev.tune4j.nn.TokenBatch;

/** Token sequences and one class id per sequence ({@link #IGNORE}: not scored). */
public record ClassificationBatch(TokenBatch tokens, int[] labels) {
    public static final int IGNORE = -100;

    public ClassificationBatch {
        if (labels.length != tokens.batch()) {
            throw new IllegalArgumentException("ClassificationBatch: " + labels.length + " labels for " + tokens.batch() + " sequences");
        }
    }

    public long scoredExamples() {
        long n = 0;
        for (int l : labels) if (l != IGNORE) n++;
        return n;
    }
}
