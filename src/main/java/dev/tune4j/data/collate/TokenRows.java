package dev.tune4j.data.collate;

import dev.tune4j.nn.TokenBatch;
import dev.tune4j.tokenizer.Encoding;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.List;

/**
 * Tokenized rows of unequal lengths, and batches of them padded on the right to their own longest
 * row (dynamic padding) with an attention mask.
 */
public final class TokenRows {
    private final int[][] ids;
    private final int pad;

    public TokenRows(int[][] ids, int pad) {
        this.ids = ids;
        this.pad = pad;
    }

    /** Each text encoded with the tokenizer's special tokens, cut to {@code maxLength} tokens. */
    public static TokenRows encode(Tokenizer tokenizer, List<String> texts, int maxLength) {
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) {
            Encoding e = tokenizer.encode(texts.get(i), maxLength);
            ids[i] = e.ids();
        }
        int pad = tokenizer.specialTokens().pad();
        return new TokenRows(ids, Math.max(pad, 0));
    }

    public int size() {
        return ids.length;
    }

    public int[] row(int i) {
        return ids[i];
    }

    public int[] lengths() {
        int[] l = new int[ids.length];
        for (int i = 0; i < l.length; i++) l[i] = ids[i].length;
        return l;
    }

    /** The given rows as one batch [rows, longest], padded with the pad id and masked. */
    public TokenBatch batch(int[] rows) {
        int t = 1;
        for (int r : rows) t = Math.max(t, ids[r].length);
        int[] flat = new int[rows.length * t];
        int[][] mask = new int[rows.length][t];
        for (int i = 0; i < rows.length; i++) {
            int[] src = ids[rows[i]];
            java.util.Arrays.fill(flat, i * t, (i + 1) * t, pad);
            System.arraycopy(src, 0, flat, i * t, src.length);
            java.util.Arrays.fill(mask[i], 0, src.length, 1);
        }
        return new TokenBatch(flat, rows.length, t, mask, null, null);
    }
}
