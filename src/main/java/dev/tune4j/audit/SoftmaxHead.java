package dev.tune4j.audit;

import java.util.Arrays;

/**
 * Multinomial logistic regression on fixed features (pooled embeddings): the head-only model of a
 * label audit's folds. Features are standardised with the training rows' mean and deviation; the
 * weights W [K, D] and biases b minimise
 * <pre>
 *   (1/n) Σ_x CE(softmax(W·x + b), y_x) + (λ/2) ||W||²      (b not penalised)
 * </pre>
 * which is scikit-learn's {@code LogisticRegression(C = 1/(λn))}, cleanlab's default model. The
 * problem is convex; it is solved by Nesterov's accelerated gradient descent with step 1/L, where
 * L = λmax(XᵀX / n) / 2 + λ bounds the gradient's Lipschitz constant (the softmax Hessian
 * diag(p) − ppᵀ has eigenvalues at most 1/2, Böhning 1992) and λmax comes from power iteration.
 * Full-batch and in a fixed order, so the fit is deterministic.
 */
final class SoftmaxHead {
    static final int ITERATIONS = 300;

    private final double[][] w;     // [K][D + 1], the last column the bias
    private final double[] mean, scale;

    private SoftmaxHead(double[][] w, double[] mean, double[] scale) {
        this.w = w;
        this.mean = mean;
        this.scale = scale;
    }

    /** @param x features of every row; only {@code rows} are used */
    static SoftmaxHead fit(float[][] x, int[] labels, int[] rows, int classes, double lambda) {
        if (!(lambda >= 0)) throw new IllegalArgumentException("L2 weight must be >= 0, got " + lambda);
        int n = rows.length, d = x[rows[0]].length;
        double[] mean = new double[d], scale = new double[d];
        for (int r : rows) for (int j = 0; j < d; j++) mean[j] += x[r][j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int r : rows) for (int j = 0; j < d; j++) scale[j] += (x[r][j] - mean[j]) * (x[r][j] - mean[j]);
        for (int j = 0; j < d; j++) scale[j] = scale[j] > 0 ? 1 / Math.sqrt(scale[j] / n) : 0;   // a constant feature carries nothing
        SoftmaxHead h = new SoftmaxHead(new double[classes][d + 1], mean, scale);
        double[][] z = new double[n][];
        for (int i = 0; i < n; i++) z[i] = h.standardise(x[rows[i]]);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = labels[rows[i]];
        h.solve(z, y, lambda);
        return h;
    }

    /** Standardised features with a trailing 1 for the bias. */
    private double[] standardise(float[] v) {
        double[] z = new double[mean.length + 1];
        for (int j = 0; j < mean.length; j++) z[j] = (v[j] - mean[j]) * scale[j];
        z[mean.length] = 1;
        return z;
    }

    private void solve(double[][] z, int[] y, double lambda) {
        int n = z.length, k = w.length, d1 = w[0].length;
        double step = 1 / (largestEigenvalue(z) / 2 + lambda);
        double[][] prev = new double[k][d1], look = new double[k][d1], grad = new double[k][d1];
        double[] p = new double[k];
        for (int it = 1; it <= ITERATIONS; it++) {
            double momentum = (it - 1.0) / (it + 2.0);
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < d1; j++) look[c][j] = w[c][j] + momentum * (w[c][j] - prev[c][j]);
                Arrays.fill(grad[c], 0);
            }
            for (int i = 0; i < n; i++) {
                probabilities(look, z[i], p);
                for (int c = 0; c < k; c++) {
                    double g = (p[c] - (y[i] == c ? 1 : 0)) / n;
                    double[] gc = grad[c], zi = z[i];
                    for (int j = 0; j < d1; j++) gc[j] += g * zi[j];
                }
            }
            for (int c = 0; c < k; c++) {
                System.arraycopy(w[c], 0, prev[c], 0, d1);
                for (int j = 0; j < d1; j++) {
                    double penalty = j < d1 - 1 ? lambda * look[c][j] : 0;
                    w[c][j] = look[c][j] - step * (grad[c][j] + penalty);
                }
            }
        }
    }

    /** λmax of ZᵀZ / n by power iteration from the all-ones vector (30 rounds, then 10% headroom so 1/L stays a safe step). */
    private static double largestEigenvalue(double[][] z) {
        int d1 = z[0].length;
        double[] v = new double[d1], u = new double[d1];
        Arrays.fill(v, 1 / Math.sqrt(d1));
        double lambda = 0;
        for (int round = 0; round < 30; round++) {
            Arrays.fill(u, 0);
            for (double[] zi : z) {
                double dot = 0;
                for (int j = 0; j < d1; j++) dot += zi[j] * v[j];
                for (int j = 0; j < d1; j++) u[j] += dot * zi[j] / z.length;
            }
            double norm = 0;
            for (double e : u) norm += e * e;
            norm = Math.sqrt(norm);
            if (norm == 0) return 1;
            lambda = norm;
            for (int j = 0; j < d1; j++) v[j] = u[j] / norm;
        }
        return lambda * 1.1;
    }

    private static void probabilities(double[][] w, double[] z, double[] p) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < w.length; c++) {
            double s = 0;
            double[] wc = w[c];
            for (int j = 0; j < z.length; j++) s += wc[j] * z[j];
            p[c] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < p.length; c++) sum += p[c] = Math.exp(p[c] - max);
        for (int c = 0; c < p.length; c++) p[c] /= sum;
    }

    double[] predict(float[] v) {
        double[] p = new double[w.length];
        probabilities(w, standardise(v), p);
        return p;
    }
}
