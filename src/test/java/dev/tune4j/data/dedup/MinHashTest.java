package dev.tune4j.data.dedup;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MinHashTest {

    @Test
    void signatureAgreementEstimatesJaccard() {
        MinHash mh = new MinHash(256, 7);
        SplittableRandom r = new SplittableRandom(3);
        for (double target : new double[] {0.2, 0.5, 0.8, 0.95}) {
            // sets of 400 elements sharing a chosen part
            int n = 400, shared = (int) Math.round(2 * n * target / (1 + target));
            long[] a = new long[n], b = new long[n];
            for (int i = 0; i < n; i++) {
                a[i] = r.nextLong();
                b[i] = i < shared ? a[i] : r.nextLong();
            }
            java.util.Arrays.sort(a);
            java.util.Arrays.sort(b);
            double exact = Shingler.jaccard(a, b);
            int[] sa = new int[256], sb = new int[256];
            mh.signature(a, sa);
            mh.signature(b, sb);
            int agree = 0;
            for (int k = 0; k < 256; k++) if (sa[k] == sb[k]) agree++;
            // standard error sqrt(J(1-J)/k) <= 0.031; allow 4 of them
            assertEquals(exact, agree / 256.0, 0.125, "estimate for J=" + exact);
        }
    }

    @Test
    void signaturesAreDeterministicForASeed() {
        long[] s = {1, 2, 3, 99, 12345678901L};
        int[] x = new int[64], y = new int[64];
        new MinHash(64, 5).signature(s, x);
        new MinHash(64, 5).signature(s, y);
        assertArrayEquals(x, y);
    }

    @Test
    void bandingKeepsRecallAtTheThreshold() {
        int[] br = MinHash.bandsFor(0.8, 128);
        assertEquals(25, br[0]);
        assertEquals(5, br[1]);
        for (double t : new double[] {0.5, 0.7, 0.8, 0.9, 0.95}) {
            int[] b = MinHash.bandsFor(t, 128);
            assertTrue(MinHash.candidateProbability(t, b[0], b[1]) >= 1 - 1e-4, "recall at " + t);
        }
    }

    @Test
    void vectorSignatureEqualsTheScalarDefinitionForOddSizes() {
        SplittableRandom r = new SplittableRandom(9);
        for (int perms : new int[] {1, 7, 16, 37, 128}) {
            MinHash mh = new MinHash(perms, 3);
            long[] set = new long[1 + r.nextInt(50)];
            for (int i = 0; i < set.length; i++) set[i] = r.nextLong();
            int[] sig = new int[perms];
            mh.signature(set, sig);
            SplittableRandom seeds = new SplittableRandom(3);
            for (int k = 0; k < perms; k++) {
                int seed = seeds.nextInt(), min = Integer.MAX_VALUE;
                for (long s : set) min = Math.min(min, MinHash.fmix32((int) (s ^ (s >>> 32)) ^ seed));
                assertEquals(min, sig[k], "perms " + perms + " function " + k);
            }
        }
    }
}
