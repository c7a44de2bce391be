package dev.tune4j.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The fused residual norm gives the bits of an add followed by the norm, also when written in place. */
class NormsTest {

    @Test
    void addForwardEqualsAddThenForwardAlsoInPlace() {
        int rows = 7, dim = 37; // not a multiple of the vector length
        SplittableRandom rng = new SplittableRandom(3);
        float[] x = new float[rows * dim], r = new float[rows * dim], g = new float[dim], b = new float[dim];
        for (float[] a : new float[][] {x, r, g, b}) for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
        for (boolean centered : new boolean[] {true, false}) {
            float[] beta = centered ? b : null;
            float[] sum = new float[x.length], expected = new float[x.length], mean = new float[rows], rstd = new float[rows];
            Elementwise.add(x, r, sum, x.length);
            Norms.forward(centered, sum, g, beta, expected, mean, rstd, rows, dim, 1e-5f);

            float[] s = new float[x.length], y = new float[x.length];
            Norms.addForward(centered, x, r, s, g, beta, y, null, null, rows, dim, 1e-5f);
            assertArrayEquals(sum, s, "sum");
            assertArrayEquals(expected, y, "norm of the sum");

            float[] inPlace = x.clone();
            Norms.addForward(centered, inPlace, r, inPlace, g, beta, inPlace, null, null, rows, dim, 1e-5f);
            assertArrayEquals(expected, inPlace, "sum and norm written over x");

            float[] kept = x.clone(), normed = new float[x.length];
            Norms.addForward(centered, kept, r, kept, g, beta, normed, null, null, rows, dim, 1e-5f);
            assertArrayEquals(sum, kept, "pre-norm: x += r");
            assertArrayEquals(expected, normed, "pre-norm: normed = norm(x)");
        }
    }
}
