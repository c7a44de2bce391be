package dev.tune4j.autograd;

import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Central finite-difference check of an op's hand-written backward.
 *
 * <p>The op runs in float32, as in training. The scalar probed is L = sum(w * y) for fixed random
 * weights w, accumulated in float64, and the difference quotient (L(x+h) - L(x-h)) / (x+h - (x-h))
 * uses the float32-representable step actually taken, in float64. The remaining error has two
 * parts: truncation, O(h^2 * f'''), and float32 rounding of y, about 6e-8 * sum|w*y| / h. With
 * h = 1e-2 and inputs of order 1 both stay below about 1e-3 of the largest gradient, so the
 * default tolerance (2e-3 of the largest |gradient|, plus 1e-4 absolute) separates a correct
 * backward from a wrong one (a wrong one is typically off by O(1)).
 */
public final class GradCheck {
    private GradCheck() {}

    public record Result(String op, double maxAbsError, double maxGrad, int checked) {
        public double relError() { return maxAbsError / Math.max(maxGrad, 1e-12); }
    }

    public static Result check(String op, List<Var> inputs, Function<List<Var>, Var> f) {
        return check(op, inputs, f, 1e-2, 2e-3, 200);
    }

    /**
     * @param maxPerInput elements probed per input (a seeded random subset when the input is larger)
     */
    public static Result check(String op, List<Var> inputs, Function<List<Var>, Var> f,
                               double h, double relTol, int maxPerInput) {
        SplittableRandom rng = new SplittableRandom(1234);
        for (Var x : inputs) x.clearGrad(); // a reused input must not carry an earlier check's gradient
        Var y;
        Tensor w;
        try (Tape tape = Tape.record()) {
            y = f.apply(inputs);
            w = Tensor.uniform(rng, -1f, 1f, y.shape());
            assertTrue(y.requiresGrad(), op + ": output does not require grad");
            System.arraycopy(w.data(), 0, y.gradForAccumulation(), 0, w.data().length);
            tape.backwardFromSeededGrads();
        }
        double maxErr = 0, maxGrad = 0;
        int checked = 0;
        for (Var x : inputs) {
            if (!x.requiresGrad()) continue;
            float[] xd = x.data();
            float[] g = x.grad() == null ? new float[xd.length] : x.grad().data();
            for (float v : g) maxGrad = Math.max(maxGrad, Math.abs(v));
            List<Integer> idx = new ArrayList<>();
            if (xd.length <= maxPerInput) for (int i = 0; i < xd.length; i++) idx.add(i);
            else for (int i = 0; i < maxPerInput; i++) idx.add(rng.nextInt(xd.length));
            for (int i : idx) {
                float orig = xd[i];
                float plus = (float) (orig + h), minus = (float) (orig - h);
                xd[i] = plus;
                double lp = dot(w, f.apply(inputs));
                xd[i] = minus;
                double lm = dot(w, f.apply(inputs));
                xd[i] = orig;
                double fd = (lp - lm) / ((double) plus - (double) minus);
                maxErr = Math.max(maxErr, Math.abs(fd - g[i]));
                checked++;
            }
        }
        Result r = new Result(op, maxErr, maxGrad, checked);
        System.out.printf("GRADCHECK op=%s maxAbsErr=%.3e maxGrad=%.3e rel=%.3e checked=%d%n",
                op, r.maxAbsError, r.maxGrad, r.relError(), checked);
        assertTrue(checked > 0, op + ": nothing to check");
        assertTrue(maxErr <= relTol * maxGrad + 1e-4,
                op + ": gradient differs from finite differences: max abs error " + maxErr + " vs max |grad| " + maxGrad);
        return r;
    }

    /** Evaluates sum(w*y) in float64 with no tape recording. */
    private static double dot(Tensor w, Var y) {
        float[] a = w.data(), b = y.data();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    public static Var param(SplittableRandom rng, float std, int... shape) {
        return new Var(Tensor.randn(rng, std, shape), true);
    }
}
