package dev.tune4j.data.collate;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LengthBucketsTest {
    private static int[] lengths(int n) {
        SplittableRandom rng = new SplittableRandom(3);
        int[] l = new int[n];
        for (int i = 0; i < n; i++) l[i] = 5 + rng.nextInt(120);
        return l;
    }

    private static int[] flatten(List<int[]> batches) {
        return batches.stream().flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void everyRowOnceAnEpochInAnOrderThatDependsOnlyOnSeedAndEpoch() {
        int[] l = lengths(1000);
        LengthBuckets a = new LengthBuckets(l, 16, 42, true), b = new LengthBuckets(l, 16, 42, true);
        int[] e0 = flatten(a.epoch(0));
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i]);
        assertEquals(Math.ceilDiv(1000, 16), a.epoch(0).size());
        assertArrayEquals(e0, flatten(b.epoch(0)), "same seed and epoch, same order (resumable)");
        assertNotEquals(Arrays.toString(e0), Arrays.toString(flatten(a.epoch(1))), "each epoch is reshuffled");
        assertNotEquals(Arrays.toString(e0), Arrays.toString(flatten(new LengthBuckets(l, 16, 43, true).epoch(0))));
    }

    @Test
    void bucketingCutsPaddingAndKeepsBatchesShuffled() {
        int[] l = lengths(2000);
        long padded = padding(new LengthBuckets(l, 16, 1, false).epoch(0), l), bucketed = padding(new LengthBuckets(l, 16, 1, true).epoch(0), l);
        System.out.printf("BUCKETS padding tokens: plain %d, bucketed %d%n", padded, bucketed);
        assertTrue(bucketed * 4 < padded, "bucketing should cut padding several-fold: " + bucketed + " vs " + padded);
        List<Integer> maxima = new ArrayList<>();
        for (int[] batch : new LengthBuckets(l, 16, 1, true).epoch(0)) maxima.add(Arrays.stream(batch).map(i -> l[i]).max().orElseThrow());
        List<Integer> sorted = new ArrayList<>(maxima);
        sorted.sort(null);
        assertNotEquals(sorted, maxima, "batch order is shuffled, not ramping by length");
    }

    private static long padding(List<int[]> batches, int[] l) {
        long pad = 0;
        for (int[] b : batches) {
            int max = Arrays.stream(b).map(i -> l[i]).max().orElseThrow();
            for (int i : b) pad += max - l[i];
        }
        return pad;
    }
}
