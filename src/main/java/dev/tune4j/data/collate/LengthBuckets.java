package dev.tune4j.data.collate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which rows form each batch of an epoch. Rows are shuffled with a stream seeded by (seed, epoch),
 * so an epoch's batches depend on nothing else and a run can be continued mid-epoch. With bucketing,
 * each window of {@value #WINDOW} batches' worth of shuffled rows is sorted by length before it is
 * cut into batches (padding to the longest row of a batch then wastes little), and the batch order
 * is shuffled again so lengths do not ramp up through the epoch.
 */
public final class LengthBuckets {
    /** Batches per sorting window: large enough to group lengths, small enough to keep batches varied. */
    static final int WINDOW = 32;

    private final int[] lengths;
    private final int batchSize;
    private final long seed;
    private final boolean bucket;

    public LengthBuckets(int[] lengths, int batchSize, long seed, boolean bucket) {
        if (lengths.length == 0) throw new IllegalArgumentException("no rows to batch");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.lengths = lengths.clone();
        this.batchSize = batchSize;
        this.seed = seed;
        this.bucket = bucket;
    }

    public int batchesPerEpoch() {
        return Math.ceilDiv(lengths.length, batchSize);
    }

    /** Row indices of each batch of epoch {@code epoch}, in training order. */
    public List<int[]> epoch(int epoch) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        int[] order = new int[lengths.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        shuffle(order, rng);
        List<int[]> batches = new ArrayList<>();
        int window = bucket ? WINDOW * batchSize : batchSize;
        for (int w = 0; w < order.length; w += window) {
            Integer[] part = new Integer[Math.min(window, order.length - w)];
            for (int i = 0; i < part.length; i++) part[i] = order[w + i];
            if (bucket) Arrays.sort(part, (a, b) -> Integer.compare(lengths[a], lengths[b]));
            for (int b = 0; b < part.length; b += batchSize) {
                int[] rows = new int[Math.min(batchSize, part.length - b)];
                for (int i = 0; i < rows.length; i++) rows[i] = part[b + i];
                batches.add(rows);
            }
        }
        if (bucket) {
            int[] perm = new int[batches.size()];
            for (int i = 0; i < perm.length; i++) perm[i] = i;
            shuffle(perm, rng);
            List<int[]> shuffled = new ArrayList<>(batches.size());
            for (int p : perm) shuffled.add(batches.get(p));
            batches = shuffled;
        }
        return batches;
    }

    private static void shuffle(int[] a, SplittableRandom rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
