package dev.tune4j.kernel;

import java.util.Arrays;

/**
 * Which keys each query may attend to.
 *
 * <p>{@code causal}: query t sees keys s <= t + (S - T), i.e. queries and keys are aligned at the
 * end, so with a cache of S - T earlier keys the last query sees every key. {@code keyValid}
 * [batch][S] (optional): 1 marks a real token, 0 padding; padded keys get zero weight. A query
 * that sees no key at all outputs zeros.
 *
 * <p>The padding mask is copied on construction, so a batch buffer reused by the caller cannot
 * change a mask that an attention backward step still needs.
 */
public record AttentionMask(boolean causal, int[][] keyValid) {

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
    }

    /** A key padding mask [batch][S] (1 = token, 0 = padding), not causal. */
    public static AttentionMask padding(int[][] keyValid) {
        return new AttentionMask(false, keyValid);
    }

    public AttentionMask withKeyValid(int[][] keyValid) {
        return new AttentionMask(causal, keyValid);
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

    /** Exclusive end of the key positions query t (of T) may attend among S keys. */
    public int keyLimit(int t, int queries, int keys) {
        if (!causal) return keys;
        return Math.max(0, Math.min(keys, t + keys - queries + 1));
    }

    /** Checks that the padding mask, if any, is [batch][keys]; the error names op. */
    public void checkShape(String op, int batch, int keys) {
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
        return new ValidKeys(index, below);
    }

    record ValidKeys(int[][] index, int[][] below) {
        /** Number of valid keys query t of batch row b may attend. */
        int visible(AttentionMask m, int b, int t, int queries, int keys) {
            return below[b][m.keyLimit(t, queries, keys)];
        }
    }
}
