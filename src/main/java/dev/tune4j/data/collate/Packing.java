package dev.tune4j.data.collate;

import dev.tune4j.train.LmBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Sequence packing: several short examples in one row of up to {@code capacity} tokens, so a batch
 * carries little padding. Rows are filled by best-fit decreasing (longest example first, each into
 * the fullest row it still fits), which leaves rows nearly full without cutting an example. Inside
 * a row each example keeps its own causal attention (segment ids: a block-diagonal mask) and its
 * positions restart at 0, so its loss and gradients are those it has alone.
 *
 * <p>An example longer than the capacity is cut into capacity-sized pieces only when asked
 * ({@code cut}); otherwise it is refused, as the caller should have truncated it.
 */
public final class Packing {
    private Packing() {}

    /** The packed rows and how full they are. */
    public record Result(List<LmBatch> rows, long tokens, long capacityUsed) {
        /** Real tokens over row capacity: 1 means no padding at all. */
        public double fill() { return capacityUsed == 0 ? 0 : (double) tokens / capacityUsed; }
    }

    public static Result pack(List<LmBatch> examples, int capacity, boolean cut) {
        List<LmBatch> pieces = new ArrayList<>();
        for (LmBatch e : examples) {
            int n = e.tokens().seq();
            if (e.tokens().batch() != 1) throw new IllegalArgumentException("Packing: examples must be single rows");
            if (n <= capacity) {
                pieces.add(e);
            } else if (cut) {
                for (int from = 0; from < n; from += capacity) pieces.add(slice(e, from, Math.min(n, from + capacity)));
            } else {
                throw new IllegalArgumentException("Packing: an example of " + n + " tokens does not fit rows of " + capacity
                        + " (truncate it, or allow cutting)");
            }
        }
        Integer[] order = new Integer[pieces.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -pieces.get(i).tokens().seq()).thenComparingInt(i -> i));
        // room left -> the rows with that much room: the fullest row that fits is a ceiling lookup
        TreeMap<Integer, List<Row>> byRoom = new TreeMap<>();
        List<Row> bins = new ArrayList<>();
        for (int i : order) {
            LmBatch p = pieces.get(i);
            int n = p.tokens().seq();
            var fit = byRoom.ceilingEntry(n);
            Row row;
            if (fit == null) {
                row = new Row();
                bins.add(row);
            } else {
                row = fit.getValue().removeLast();
                if (fit.getValue().isEmpty()) byRoom.remove(fit.getKey());
            }
            row.parts.add(p);
            row.used += n;
            if (row.used < capacity) byRoom.computeIfAbsent(capacity - row.used, k -> new ArrayList<>()).add(row);
        }
        List<LmBatch> rows = new ArrayList<>(bins.size());
        long tokens = 0;
        for (Row row : bins) {
            rows.add(concat(row.parts));
            tokens += row.used;
        }
        return new Result(rows, tokens, (long) bins.size() * capacity);
    }

    private static final class Row {
        final List<LmBatch> parts = new ArrayList<>();
        int used;
    }

    /** Examples side by side in one row: segment ids 0, 1, ... and positions restarting per example. */
    static LmBatch concat(List<LmBatch> parts) {
        int n = 0;
        for (LmBatch p : parts) n += p.tokens().seq();
        int[] ids = new int[n], targets = new int[n], positions = new int[n], segments = new int[n];
        int at = 0;
        for (int s = 0; s < parts.size(); s++) {
            LmBatch p = parts.get(s);
            int len = p.tokens().seq();
            System.arraycopy(p.tokens().ids(), 0, ids, at, len);
            System.arraycopy(p.targets(), 0, targets, at, len);
            int[] pos = p.tokens().positionsOrDefault();
            for (int t = 0; t < len; t++) {
                positions[at + t] = pos[t];
                segments[at + t] = s;
            }
            at += len;
        }
        return LmRows.row(ids, targets, positions, segments);
    }

    private static LmBatch slice(LmBatch e, int from, int to) {
        int[] ids = Arrays.copyOfRange(e.tokens().ids(), from, to), targets = Arrays.copyOfRange(e.targets(), from, to);
        // the piece's last target belonged to the next piece's first token: it stays scored
        return LmRows.row(ids, targets, null, null);
    }
}
