package dev.tune4j.kernel;

import java.util.Arrays;

/**
 * Which keys each query may attend to.
 *
 * <p>{@code causal}: query t sees keys s <= t + past, where {@code past} is the number of keys
 * before the first query ({@code past < 0}: S - T, i.e. queries and keys aligned at the end). A
 * KV cache passes its whole buffer as the keys, {@code past} = the positions already filled, and
 * marks the unfilled tail invalid. {@code keyValid} [batch][S] (optional): 1 marks a real token, 0
 * padding; padded keys get zero weight. {@code segments} [batch][S] (optional, causal only): the
 * example each position belongs to when several are packed into one row, as runs of equal ids; a
 * query sees only keys of its own run (a block-diagonal causal mask). A query that sees no key at
 * all outputs zeros.
 *
 * <p>The padding mask is copied on construction, so a batch buffer reused by the caller cannot
 * change a mask that an attention backward step still needs.
 */
public record AttentionMask(boolean causal, int[][] keyValid, int past, int[][] segments) {

    public static final AttentionMask NONE = new AttentionMask(false, null);
    public static final AttentionMask CAUSAL = new AttentionMask(true, null);

    public AttentionMask {
        if (keyValid != null) {
            int[][] copy = new int[keyValid.length][];
            for (int b = 0; b < keyValid.length; b++) {
                if (keyValid[b] == null) throw new IllegalArgumentException("AttentionMask: keyValid row " + b + " is null");
                copy[b] = keyValid[b].clone();
                for (int s = 0; s < copy[b].length; s++) {
                    if (copy[b][s] != 0 && copy[b][s] != 1) {
                        throw new IllegalArgumentException("AttentionMask: keyValid[" + b + "][" + s + "] is "
                                + copy[b][s] + ", expected 0 (padding) or 1 (token)");
                    }
                }
            }
            keyValid = copy;
        }
        if (segments != null) {
            if (!causal) throw new IllegalArgumentException("AttentionMask: packed segments need a causal mask");
            int[][] copy = new int[segments.length][];
            for (int b = 0; b < segments.length; b++) {
                if (segments[b] == null) throw new IllegalArgumentException("AttentionMask: segments row " + b + " is null");
                copy[b] = segments[b].clone();
            }
            segments = copy;
        }
    }

    /** Queries aligned with the end of the keys, no packed segments. */
    public AttentionMask(boolean causal, int[][] keyValid) {
        this(causal, keyValid, -1, null);
    }

    /**
     * Decoding with a cache: the keys are the cache buffer, {@code past} of them filled before
     * these queries; keys at or after past + queries are never seen (causal), so they need no mask.
     */
    public static AttentionMask cached(int past, int[][] keyValid) {
        if (past < 0) throw new IllegalArgumentException("AttentionMask: past must be >= 0, got " + past);
        return new AttentionMask(true, keyValid, past, null);
    }

    /** Several examples packed per row: causal within each run of equal segment ids [batch][T]. */
    public static AttentionMask packed(int[][] segments, int[][] keyValid) {
        return new AttentionMask(true, keyValid, -1, segments);
    }

    /** A key padding mask [batch][S] (1 = token, 0 = padding), not causal. */
    public static AttentionMask padding(int[][] keyValid) {
        return new AttentionMask(false, keyValid);
    }

    public AttentionMask withKeyValid(int[][] keyValid) {
        return new AttentionMask(causal, keyValid, past, segments);
    }

    /** A copy of the padding mask, or null when every key is valid. */
    @Override
    public int[][] keyValid() {
        if (keyValid == null) return null;
        int[][] copy = new int[keyValid.length][];
        for (int b = 0; b < keyValid.length; b++) copy[b] = keyValid[b].clone();
        return copy;
    }

    public boolean hasPadding() {
        return keyValid != null;
    }

    /** A copy of the packed segment ids, or null. */
    @Override
    public int[][] segments() {
        if (segments == null) return null;
        int[][] copy = new int[segments.length][];
        for (int b = 0; b < segments.length; b++) copy[b] = segments[b].clone();
        return copy;
    }

    /** The key position of query t (of T) among S keys. */
    int keyPosition(int t, int queries, int keys) {
        return t + (past >= 0 ? past : keys - queries);
    }

    /** Exclusive end of the key positions query t (of T) may attend among S keys. */
    public int keyLimit(int t, int queries, int keys) {
        if (!causal) return keys;
        return Math.max(0, Math.min(keys, keyPosition(t, queries, keys) + 1));
    }


    /** Checks that the padding mask, if any, is [batch][keys]; the error names op. */
    public void checkShape(String op, int batch, int keys) {
        if (segments != null) {
            boolean ok = segments.length == batch;
            for (int b = 0; ok && b < batch; b++) ok = segments[b].length == keys;
            if (!ok) throw new IllegalArgumentException(op + ": packed segment ids must be [batch, keys] = [" + batch + ", " + keys + "]");
        }
        if (keyValid == null) return;
        boolean ok = keyValid.length == batch;
        for (int b = 0; ok && b < batch; b++) ok = keyValid[b].length == keys;
        if (!ok) {
            int rowLen = keyValid.length == 0 ? 0 : keyValid[0].length;
            throw new IllegalArgumentException(op + ": key padding mask must be [batch, keys] = ["
                    + batch + ", " + keys + "], got [" + keyValid.length + ", " + rowLen + "]");
        }
    }

    /**
     * For each batch row, the positions of the valid keys in increasing order (the keys that the
     * kernel gathers), and below[b][s] = number of valid keys before position s.
     */
    ValidKeys validKeys(int batch, int keys) {
        int[][] index = new int[batch][];
        int[][] below = new int[batch][];
        if (keyValid == null) {
            int[] all = new int[keys], count = new int[keys + 1];
            for (int s = 0; s < keys; s++) all[s] = s;
            for (int s = 0; s <= keys; s++) count[s] = s;
            Arrays.fill(index, all);
            Arrays.fill(below, count);
        } else {
            for (int b = 0; b < batch; b++) {
                int[] idx = new int[keys], count = new int[keys + 1];
                int n = 0;
                for (int s = 0; s < keys; s++) {
                    count[s] = n;
                    if (keyValid[b][s] != 0) idx[n++] = s;
                }
                count[keys] = n;
                index[b] = Arrays.copyOf(idx, n);
                below[b] = count;
            }
        }
        return new ValidKeys(index, below, segments == null ? null : validBeforeSegment(below, keys));
    }

    /** For each row and key position p: the number of valid keys before the start of p's segment. */
    private int[][] validBeforeSegment(int[][] below, int keys) {
        int[][] before = new int[segments.length][keys];
        for (int b = 0; b < segments.length; b++) {
            int start = 0;
            for (int p = 0; p < keys; p++) {
                if (p > 0 && segments[b][p] != segments[b][p - 1]) start = p;
                before[b][p] = below[b][start];
            }
        }
        return before;
    }

    record ValidKeys(int[][] index, int[][] below, int[][] beforeSegment) {
        /** Number of valid keys up to the last one query t of batch row b may attend. */
        int visible(AttentionMask m, int b, int t, int queries, int keys) {
            return below[b][m.keyLimit(t, queries, keys)];
        }

        /** Number of valid keys before the first one query t may attend (earlier packed examples). */
        int hidden(AttentionMask m, int b, int t, int queries, int keys) {
            if (beforeSegment == null) return 0;
            return beforeSegment[b][Math.min(keys - 1, m.keyPosition(t, queries, keys))];
        }
    }
}
