package dev.tune4j.nn;

/**
 * A batch of token sequences laid out [batch, seq] row-major.
 *
 * @param attentionMask [batch][seq], 1 for real tokens and 0 for padding; null means no padding
 * @param tokenTypes    BERT segment ids (null: all zero)
 * @param positions     position ids, [seq] or [batch*seq] (null: 0..seq-1)
 * @param segments      [batch][seq] when several examples are packed into a row: the example each
 *                      token belongs to, as runs of equal ids; attention stays within a run (null:
 *                      one example per row)
 */
public record TokenBatch(int[] ids, int batch, int seq, int[][] attentionMask, int[] tokenTypes, int[] positions, int[][] segments) {

    public TokenBatch(int[] ids, int batch, int seq, int[][] attentionMask, int[] tokenTypes, int[] positions) {
        this(ids, batch, seq, attentionMask, tokenTypes, positions, null);
    }

    public TokenBatch {
        if (ids.length != batch * seq) {
            throw new IllegalArgumentException("TokenBatch: " + ids.length + " ids for batch " + batch + " x seq " + seq);
        }
        if (attentionMask != null && (attentionMask.length != batch || (batch > 0 && attentionMask[0].length != seq))) {
            throw new IllegalArgumentException("TokenBatch: attention mask must be [" + batch + "][" + seq + "]");
        }
        if (segments != null && (segments.length != batch || (batch > 0 && segments[0].length != seq))) {
            throw new IllegalArgumentException("TokenBatch: segments must be [" + batch + "][" + seq + "]");
        }
    }

    public static TokenBatch of(int[] ids, int batch, int seq) {
        return new TokenBatch(ids, batch, seq, null, null, null);
    }

    public static TokenBatch of(int[][] rows, int[][] mask) {
        int b = rows.length, t = b == 0 ? 0 : rows[0].length;
        int[] flat = new int[b * t];
        for (int i = 0; i < b; i++) System.arraycopy(rows[i], 0, flat, i * t, t);
        return new TokenBatch(flat, b, t, mask, null, null);
    }

    public int[] positionsOrDefault() {
        if (positions != null) return positions;
        int[] p = new int[seq];
        for (int i = 0; i < seq; i++) p[i] = i;
        return p;
    }
}
