package dev.tune4j.oracle;

import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Central differences of an oracle's float64 loss with respect to float32 weights or inputs.
 * The step actually taken is the float32-representable one, (float)(x+h) - (float)(x-h), so only
 * truncation error O(h² f''') remains; with h = 1e-3 and order-one values it is far below the
 * tolerance, while a wrong gradient is off by order one.
 */
final class FiniteDifferences {
    private FiniteDifferences() {}

    static final double H = 1e-3;

    /** Checks {@code perWeight} random entries of every weight in {@code grads}. */
    static double checkWeights(String what, Checkpoint ckpt, Map<String, float[]> grads, ToDoubleFunction<Checkpoint> loss,
                               int perWeight, Random rng) {
        double worst = 0;
        for (var e : grads.entrySet()) {
            String name = e.getKey();
            float[] g = e.getValue(), w = ckpt.weight(name);
            double scale = scale(g);
            for (int n = 0; n < perWeight; n++) {
                int i = rng.nextInt(w.length);
                float[] plus = w.clone(), minus = w.clone();
                plus[i] = (float) (w[i] + H);
                minus[i] = (float) (w[i] - H);
                double fd = (loss.applyAsDouble(ckpt.with(name, plus)) - loss.applyAsDouble(ckpt.with(name, minus)))
                        / ((double) plus[i] - (double) minus[i]);
                worst = Math.max(worst, assertAgree(what + " d/d " + name + "[" + i + "]", fd, g[i], scale));
            }
        }
        return worst;
    }

    /** Checks {@code count} random entries of the gradient w.r.t. an input array. */
    static double checkInput(String what, float[] x, float[] grad, Function<float[], Double> loss, int count, Random rng) {
        double worst = 0, scale = scale(grad);
        for (int n = 0; n < count; n++) {
            int i = rng.nextInt(x.length);
            float[] plus = x.clone(), minus = x.clone();
            plus[i] = (float) (x[i] + H);
            minus[i] = (float) (x[i] - H);
            double fd = (loss.apply(plus) - loss.apply(minus)) / ((double) plus[i] - (double) minus[i]);
            worst = Math.max(worst, assertAgree(what + " d/d input[" + i + "]", fd, grad[i], scale));
        }
        return worst;
    }

    private static double scale(float[] g) {
        double m = 0;
        for (float v : g) m = Math.max(m, Math.abs(v));
        return Math.max(m, 1e-3);
    }

    /** |fd - analytic| <= 1e-5 of the largest gradient entry of that tensor; returns the relative error. */
    private static double assertAgree(String what, double fd, double analytic, double scale) {
        double rel = Math.abs(fd - analytic) / scale;
        assertTrue(rel <= 1e-5, what + ": finite difference " + fd + " vs oracle " + analytic + " (rel " + rel + ")");
        return rel;
    }
}
