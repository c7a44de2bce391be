package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/** Shared helpers for the op tests. */
final class OpTesting {
    private OpTesting() {}

    static Var param(long seed, float std, int... shape) {
        return GradCheck.param(new SplittableRandom(seed), std, shape);
    }

    static Var constant(long seed, float std, int... shape) {
        return Var.constant(Tensor.randn(new SplittableRandom(seed), std, shape));
    }

    /**
     * GradCheck.check on inputs whose gradients are cleared first (GradCheck accumulates into
     * whatever gradient an input already holds, so inputs reused across checks must start clean).
     */
    static GradCheck.Result gradCheck(String op, List<Var> inputs, Function<List<Var>, Var> f) {
        return gradCheck(op, inputs, f, 1e-2, 2e-3, 200);
    }

    static GradCheck.Result gradCheck(String op, List<Var> inputs, Function<List<Var>, Var> f,
                                      double h, double relTol, int maxPerInput) {
        for (Var v : inputs) if (v.requiresGrad()) v.clearGrad();
        return GradCheck.check(op, inputs, f, h, relTol, maxPerInput);
    }

    /**
     * Runs f forward and backward (seeded with fixed random output weights) and returns the output
     * followed by every input's gradient (null if it has none).
     */
    static List<float[]> forwardBackward(List<Var> inputs, Function<List<Var>, Var> f) {
        for (Var v : inputs) if (v.requiresGrad()) v.clearGrad();
        List<float[]> out = new ArrayList<>();
        try (Tape tape = Tape.record()) {
            Var y = f.apply(inputs);
            out.add(y.data().clone());
            float[] w = Tensor.uniform(new SplittableRandom(99), -1f, 1f, y.shape()).data();
            System.arraycopy(w, 0, y.gradForAccumulation(), 0, w.length);
            tape.backwardFromSeededGrads();
        }
        for (Var v : inputs) out.add(v.grad() == null ? null : v.grad().data().clone());
        return out;
    }

    /**
     * Asserts that the output and gradients are bitwise identical over repeated runs with 2 threads,
     * and identical to a 1-thread run (the kernels split work so that the thread count never
     * changes the order of a float sum).
     */
    static void assertDeterministic(List<Var> inputs, Function<List<Var>, Var> f) {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            List<float[]> first = forwardBackward(inputs, f);
            for (int rep = 0; rep < 3; rep++) assertBitwiseEqual(first, forwardBackward(inputs, f), "2 threads, run " + rep);
            Parallel.setThreads(1);
            assertBitwiseEqual(first, forwardBackward(inputs, f), "1 thread vs 2 threads");
        } finally {
            Parallel.setThreads(before);
        }
    }

    static void assertBitwiseEqual(List<float[]> a, List<float[]> b, String what) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) == null || b.get(i) == null) {
                assertSame(a.get(i), b.get(i), what + ": gradient presence differs for item " + i);
                continue;
            }
            float[] x = a.get(i), y = b.get(i);
            assertEquals(x.length, y.length);
            for (int j = 0; j < x.length; j++) {
                if (Float.floatToRawIntBits(x[j]) != Float.floatToRawIntBits(y[j])) {
                    fail(what + ": item " + i + " differs at " + j + ": " + x[j] + " vs " + y[j]);
                }
            }
        }
    }

    /** Asserts |got - want| <= atol + rtol * |want| elementwise. */
    static void assertClose(double[] want, float[] got, double rtol, double atol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            double tol = atol + rtol * Math.abs(want[i]);
            if (!(Math.abs(got[i] - want[i]) <= tol)) {
                fail(what + ": element " + i + " is " + got[i] + ", want " + want[i] + " (tol " + tol + ")");
            }
        }
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    static IllegalArgumentException assertShapeError(Runnable r, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        return e;
    }

    static String shape(int... s) {
        return Arrays.toString(s);
    }
}
