package dev.tune4j.data.dedup;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.SplittableRandom;

/**
 * MinHash signatures: for each of k hash functions, the smallest hash over a set's shingles. Two
 * sets agree on one signature entry with probability equal to their Jaccard similarity. The k
 * functions are the MurmurHash3 32-bit finaliser applied to the shingle xor a per-function seed
 * (each is a bijection of the 32-bit integers, i.e. a pseudo-random permutation), computed for a
 * vector of functions at once with the Vector API.
 */
public final class MinHash {
    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
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
        int[] x = new int[shingles.length];
        for (int i = 0; i < x.length; i++) x[i] = (int) (shingles[i] ^ (shingles[i] >>> 32));
        // One vector of hash functions at a time, its running minimum kept in a register over all shingles.
        int j = 0;
        for (int bound = S.loopBound(k); j < bound; j += S.length()) {
            IntVector seed = IntVector.fromArray(S, seeds, j);
            IntVector min = IntVector.broadcast(S, Integer.MAX_VALUE);
            for (int v : x) {
                IntVector h = seed.lanewise(VectorOperators.XOR, v);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85ebca6b);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xc2b2ae35);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
                min = min.min(h);
            }
            min.intoArray(sig, j);
        }
        for (; j < k; j++) {
            int m = Integer.MAX_VALUE;
            for (int v : x) m = Math.min(m, fmix32(v ^ seeds[j]));
            sig[j] = m;
        }
    }

    /** The MurmurHash3 32-bit finaliser (the scalar form of the vector loop above). */
    static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
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
