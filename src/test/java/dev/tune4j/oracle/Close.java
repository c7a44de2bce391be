package dev.tune4j.oracle;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Comparison and random-data helpers for the oracle's own tests. */
final class Close {
    private Close() {}

    /** max |a - b| <= tol * max(1, max |a|), with the worst index in the message. */
    static void assertClose(String what, double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": lengths differ");
        double scale = 1, worst = 0;
        int at = -1;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        assertTrue(worst <= tol * scale, what + ": max |diff| " + worst + " at " + at + " (expected "
                + (at < 0 ? "-" : expected[at]) + ", got " + (at < 0 ? "-" : actual[at]) + "), allowed " + tol * scale);
    }

    static void assertClose(String what, float[] expected, float[] actual, double tol) {
        assertClose(what, toDoubles(expected), toDoubles(actual), tol);
    }

    static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static double[] gaussian(Random rng, int n, double std) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = std * rng.nextGaussian();
        return d;
    }

    static float[] gaussianFloats(Random rng, int n, double std) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (std * rng.nextGaussian());
        return f;
    }

    static int[][] tokens(Random rng, int b, int t, int vocab) {
        int[][] ids = new int[b][t];
        for (int[] row : ids) for (int i = 0; i < t; i++) row[i] = rng.nextInt(vocab);
        return ids;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
