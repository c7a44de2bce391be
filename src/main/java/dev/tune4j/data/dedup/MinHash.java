package dev.tune4j.data.dedup;

import java.util.SplittableRandom;

/**
 * MinHash signatures: for each of k hash functions, the smallest hash over a set's shingles. Two
 * sets agree on one signature entry with probability equal to their Jaccard similarity. The k
 * functions are the MurmurHash3 32-bit finaliser applied to the shingle xor a per-function seed
 * (each is a bijection of the 32-bit integers, i.e. a pseudo-random permutation); the inner loop
 * over k is plain int arithmetic that the JIT vectorises.
 */
public final class MinHash {
    private final int[] seeds;

    public MinHash(int numPerm, long seed) {
        if (numPerm < 1) throw new IllegalArgumentException("number of MinHash permutations must be >= 1, got " + numPerm);
        seeds = new int[numPerm];
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k < numPerm; k++) seeds[k] = r.nextInt();
    }

    public int numPerm() {
        return seeds.length;
    }

    /** Writes the signature of a shingle set into sig (length numPerm); an empty set gets all MAX_VALUE. */
    public void signature(long[] shingles, int[] sig) {
        int k = seeds.length;
        java.util.Arrays.fill(sig, 0, k, Integer.MAX_VALUE);
        for (long s : shingles) {
            int x = (int) (s ^ (s >>> 32));
            for (int j = 0; j < k; j++) {
                int h = x ^ seeds[j];
                h ^= h >>> 16;
                h *= 0x85ebca6b;
                h ^= h >>> 13;
                h *= 0xc2b2ae35;
                h ^= h >>> 16;
                sig[j] = Math.min(sig[j], h);
            }
        }
    }

    /**
     * The banding for a similarity threshold: the most rows per band (fewest chance candidates)
     * such that a pair exactly at the threshold still shares at least one band with probability
     * at least 1 - 1e-4. Candidates are verified exactly afterwards, so recall is what matters.
     *
     * @return {bands, rowsPerBand}
     */
    public static int[] bandsFor(double threshold, int numPerm) {
        if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
        int bestR = 1;
        for (int r = 1; r <= numPerm; r++) {
            int b = numPerm / r;
            double miss = Math.pow(1 - Math.pow(threshold, r), b);
            if (miss <= 1e-4) bestR = r;
        }
        return new int[] {numPerm / bestR, bestR};
    }

    /** Probability that a pair of similarity s shares at least one of b bands of r rows. */
    public static double candidateProbability(double s, int bands, int rows) {
        return 1 - Math.pow(1 - Math.pow(s, rows), bands);
    }
}
