package dev.tune4j.audit;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftmaxHeadTest {
    /**
     * At the optimum the bias, which is not penalised, has zero gradient: Σ_x (p(c | x) − [y_x = c]) = 0,
     * so the mean predicted probability of each class equals its share of the training rows.
     */
    @Test
    void theFitReachesTheOptimumWhereMeanPredictionsMatchClassShares() {
        SplittableRandom rng = new SplittableRandom(2);
        int n = 400, d = 24;
        float[][] x = new float[n][d];
        int[] y = new int[n], rows = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 5 == 0 ? 2 : i % 2;       // shares 0.4 / 0.4 / 0.2, classes overlapping
            rows[i] = i;
            for (int j = 0; j < d; j++) x[i][j] = (float) (rng.nextGaussian() + (j == y[i] ? 1.0 : 0.0) + 5);  // an offset standardisation removes
        }
        for (double lambda : new double[] {0.01, 1}) {
            SoftmaxHead h = SoftmaxHead.fit(x, y, rows, 3, lambda);
            double[] mean = new double[3], share = new double[3];
            for (int i = 0; i < n; i++) {
                double[] p = h.predict(x[i]);
                assertEquals(1, p[0] + p[1] + p[2], 1e-9);
                for (int c = 0; c < 3; c++) mean[c] += p[c] / n;
                share[y[i]] += 1.0 / n;
            }
            for (int c = 0; c < 3; c++) assertEquals(share[c], mean[c], 2e-3, "λ " + lambda + ", class " + c);
        }
    }

    @Test
    void aStrongerL2WeightGivesLessConfidentPredictions() {
        float[][] x = {{0f}, {1f}, {2f}, {3f}};
        int[] y = {0, 0, 1, 1}, rows = {0, 1, 2, 3};
        double weak = SoftmaxHead.fit(x, y, rows, 2, 0.01).predict(x[3])[1], strong = SoftmaxHead.fit(x, y, rows, 2, 10).predict(x[3])[1];
        assertTrue(weak > strong && strong > 0.5, weak + " vs " + strong);
    }
}
