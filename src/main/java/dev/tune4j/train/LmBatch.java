package dev.tune4j.train;

import dev.tune4j.nn.TokenBatch;

/** Input tokens and next-token targets ([batch*seq], -100 = not scored). */
public record LmBatch(TokenBatch tokens, int[] targets) {
    public static final int IGNORE = -100;

    public LmBatch {
        if (targets.length != tokens.ids().length) {
            throw new IllegalArgumentException("LmBatch: " + targets.length + " targets for " + tokens.ids().length + " tokens");
        }
    }

    public long scoredTokens() {
        long n = 0;
        for (int t : targets) if (t != IGNORE) n++;
        return n;
    }
}
