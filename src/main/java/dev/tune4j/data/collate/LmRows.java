package dev.tune4j.data.collate;

import dev.tune4j.nn.TokenBatch;
import dev.tune4j.train.LmBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Language-model rows (one sequence each, {@link LmBatch} with batch 1) collated into batches:
 * padded on the right to the longest row of the batch, padding masked out of attention and loss.
 * Packed rows keep their segment ids and restarting positions.
 */
public final class LmRows {
    private LmRows() {}

    /** One row: ids with their next-token targets (-100: not scored), optionally packed. */
    public static LmBatch row(int[] ids, int[] targets, int[] positions, int[] segments) {
        int n = ids.length;
        return new LmBatch(new TokenBatch(ids, 1, n, null, null, positions, segments == null ? null : new int[][] {segments}), targets);
    }

    /** Rows collated into one batch, right-padded to the longest. */
    public static LmBatch collate(List<LmBatch> rows) {
        int b = rows.size(), t = 0;
        boolean positions = false, segments = false;
        for (LmBatch r : rows) {
            t = Math.max(t, r.tokens().seq());
            positions |= r.tokens().positions() != null;
            segments |= r.tokens().segments() != null;
        }
        int[] ids = new int[b * t], targets = new int[b * t], pos = positions ? new int[b * t] : null;
        Arrays.fill(targets, LmBatch.IGNORE);
        int[][] mask = new int[b][t], seg = segments ? new int[b][t] : null;
        boolean padded = false;
        for (int i = 0; i < b; i++) {
            TokenBatch tb = rows.get(i).tokens();
            int n = tb.seq();
            System.arraycopy(tb.ids(), 0, ids, i * t, n);
            System.arraycopy(rows.get(i).targets(), 0, targets, i * t, n);
            int real = n;
            if (tb.attentionMask() != null) {
                real = 0;
                for (int v : tb.attentionMask()[0]) real += v;
                System.arraycopy(tb.attentionMask()[0], 0, mask[i], 0, n);
            } else {
                Arrays.fill(mask[i], 0, n, 1);
            }
            padded |= real < t;
            if (pos != null) {
                int[] p = tb.positionsOrDefault();
                for (int j = 0; j < t; j++) pos[i * t + j] = j < n ? p[j] : j;
            }
            if (seg != null) {
                int[] s = tb.segments() != null ? tb.segments()[0] : new int[n];
                System.arraycopy(s, 0, seg[i], 0, n);
                // padding: a segment of its own, so it is never attended by the real tokens
                for (int j = n; j < t; j++) seg[i][j] = Integer.MAX_VALUE;
            }
        }
        return new LmBatch(new TokenBatch(ids, b, t, padded ? mask : null, null, pos, seg), targets);
    }

    /** Rows grouped in order into batches of up to {@code size}. */
    public static List<LmBatch> group(List<LmBatch> rows, int size) {
        List<LmBatch> out = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += size) out.add(collate(rows.subList(from, Math.min(rows.size(), from + size))));
        return out;
    }
}
