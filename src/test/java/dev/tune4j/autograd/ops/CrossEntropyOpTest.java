package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class CrossEntropyOpTest {
    static final int IGNORE = -100;

    /** Float64 per-row -log softmax[target] and the gradient of the mean/sum loss. */
    record Ref(double sum, int count, double[] gradOfSum) {}

    static Ref reference(float[] logits, int vocab, int[] targets) {
        double sum = 0;
        int count = 0;
        double[] grad = new double[logits.length];
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] == IGNORE) continue;
            int off = r * vocab;
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits[off + j]);
            for (int j = 0; j < vocab; j++) s += Math.exp(logits[off + j] - max);
            double lse = max + Math.log(s);
            sum += lse - logits[off + targets[r]];
            count++;
            for (int j = 0; j < vocab; j++) grad[off + j] = Math.exp(logits[off + j] - lse);
            grad[off + targets[r]] -= 1;
        }
        return new Ref(sum, count, grad);
    }

    private static double[] scaled(double[] a, double s) {
        double[] b = new double[a.length];
        for (int i = 0; i < a.length; i++) b[i] = a[i] * s;
        return b;
    }

    private static float[] lossAndGrad(Var logits, int[] targets, CrossEntropyOp.Reduction red, float[] lossOut) {
        logits.clearGrad();
        try (Tape t = Tape.record()) {
            Var loss = CrossEntropyOp.apply(logits, targets, IGNORE, red);
            assertEquals(0, loss.shape().length, "scalar loss");
            lossOut[0] = loss.data()[0];
            t.backward(loss);
        }
        return logits.grad().data();
    }

    @Test
    void meanAndSumMatchAFloat64LogSoftmaxWithIgnoredRows() {
        int rows = 6, vocab = 37;
        Var logits = param(1, 3f, rows, vocab);
        int[] targets = {3, IGNORE, 0, 36, IGNORE, 17};
        Ref ref = reference(logits.data(), vocab, targets);
        assertEquals(4, CrossEntropyOp.count(targets, IGNORE));
        float[] loss = new float[1];
        float[] g = lossAndGrad(logits, targets, CrossEntropyOp.Reduction.MEAN, loss);
        assertEquals(ref.sum / ref.count, loss[0], 1e-6 * Math.abs(ref.sum / ref.count));
        assertClose(scaled(ref.gradOfSum, 1.0 / ref.count), g, 1e-5, 1e-8, "mean gradient");
        g = lossAndGrad(logits, targets, CrossEntropyOp.Reduction.SUM, loss);
        assertEquals(ref.sum, loss[0], 1e-6 * Math.abs(ref.sum));
        assertClose(ref.gradOfSum, g, 1e-5, 1e-8, "sum gradient");
    }

    @Test
    void allIgnoredGivesZeroLossAndZeroGradient() {
        Var logits = param(2, 1f, 3, 10);
        float[] loss = new float[1];
        float[] g = lossAndGrad(logits, new int[] {IGNORE, IGNORE, IGNORE}, CrossEntropyOp.Reduction.MEAN, loss);
        assertEquals(0f, loss[0]);
        for (float v : g) assertEquals(0f, v);
    }

    @Test
    void largeLogitsStayFiniteAndExact() {
        float[] x = {1e4f, 1e4f - 2f, -1e4f, 1e4f - 1f, 3e4f, 0f, -3e4f, 2.9999e4f};
        Var logits = new Var(Tensor.of(x, 2, 4), true);
        int[] targets = {1, 7 - 4};
        Ref ref = reference(x, 4, targets);
        float[] loss = new float[1];
        float[] g = lossAndGrad(logits, targets, CrossEntropyOp.Reduction.SUM, loss);
        assertEquals(ref.sum, loss[0], 1e-5);
        assertClose(ref.gradOfSum, g, 1e-5, 1e-7, "gradient at 1e4 logits");
    }

    @Test
    void backwardPassesGradCheck() {
        Var a = param(3, 2f, 3, 37), b = param(4, 2f, 2, 3, 16), c = param(5, 1f, 1, 1);
        for (CrossEntropyOp.Reduction red : CrossEntropyOp.Reduction.values()) {
            gradCheck("CrossEntropyOp(" + red + ")", List.of(a), in -> CrossEntropyOp.apply(in.get(0), new int[] {5, IGNORE, 36}, IGNORE, red));
            gradCheck("CrossEntropyOp(" + red + ")", List.of(b), in -> CrossEntropyOp.apply(in.get(0), new int[] {0, 15, 7, 7, IGNORE, 1}, IGNORE, red));
            gradCheck("CrossEntropyOp(" + red + ")", List.of(c), in -> CrossEntropyOp.apply(in.get(0), new int[] {0}, IGNORE, red));
        }
    }

    @Test
    void classWeightsScaleEachRowAndTheMeanDividesByTheirSumAsTorchDoes() {
        int rows = 5, k = 4;
        Var logits = param(21, 2f, rows, k);
        int[] targets = {3, IGNORE, 0, 3, 1};
        float[] w = {0.5f, 2f, 7f, 0.25f};
        double sum = 0, weights = 0;
        double[] grad = new double[rows * k];
        Ref plain = reference(logits.data(), k, targets);
        for (int r = 0; r < rows; r++) {
            if (targets[r] == IGNORE) continue;
            double lse = 0;
            for (int j = 0; j < k; j++) lse += Math.exp(logits.data()[r * k + j]);
            sum += w[targets[r]] * (Math.log(lse) - logits.data()[r * k + targets[r]]);
            weights += w[targets[r]];
            for (int j = 0; j < k; j++) grad[r * k + j] = w[targets[r]] * plain.gradOfSum()[r * k + j];
        }
        assertEquals(weights, CrossEntropyOp.weightSum(targets, IGNORE, w), 0);
        assertEquals(4, CrossEntropyOp.weightSum(targets, IGNORE, null), 0);
        for (CrossEntropyOp.Reduction red : CrossEntropyOp.Reduction.values()) {
            double divisor = red == CrossEntropyOp.Reduction.MEAN ? weights : 1;
            logits.clearGrad();
            try (Tape t = Tape.record()) {
                Var loss = CrossEntropyOp.apply(logits, targets, IGNORE, red, w);
                assertEquals(sum / divisor, loss.data()[0], 1e-6 * Math.abs(sum / divisor), red.name());
                t.backward(loss);
            }
            assertClose(scaled(grad, 1 / divisor), logits.grad().data(), 1e-5, 1e-8, red + " weighted gradient");
            gradCheck("CrossEntropyOp(" + red + ", weighted)", List.of(logits), in -> CrossEntropyOp.apply(in.get(0), targets, IGNORE, red, w));
        }
        float[] ones = {1f, 1f, 1f, 1f};
        assertEquals(CrossEntropyOp.apply(logits, targets, IGNORE).data()[0],
                CrossEntropyOp.apply(logits, targets, IGNORE, CrossEntropyOp.Reduction.MEAN, ones).data()[0], "unit weights change nothing");
    }

    @Test
    void zeroWeightedRowsGiveZeroLossAndGradientAndBadWeightsAreRefused() {
        Var logits = param(22, 1f, 2, 3);
        float[] w = {0f, 1f, 1f};
        float[] loss = new float[1];
        logits.clearGrad();
        try (Tape t = Tape.record()) {
            Var l = CrossEntropyOp.apply(logits, new int[] {0, 0}, IGNORE, CrossEntropyOp.Reduction.MEAN, w);
            loss[0] = l.data()[0];
            t.backward(l);
        }
        assertEquals(0f, loss[0]);
        for (float g : logits.grad().data()) assertEquals(0f, g);
        assertShapeError(() -> CrossEntropyOp.apply(logits, new int[] {0, 1}, IGNORE, CrossEntropyOp.Reduction.SUM, new float[] {1f, 1f}),
                "CrossEntropyOp", "2 class weights for 3 classes");
        assertShapeError(() -> CrossEntropyOp.apply(logits, new int[] {0, 1}, IGNORE, CrossEntropyOp.Reduction.SUM, new float[] {1f, -1f, 1f}),
                "CrossEntropyOp", "class weight 1 is -1.0");
        assertShapeError(() -> CrossEntropyOp.apply(logits, new int[] {0, 1}, IGNORE, CrossEntropyOp.Reduction.SUM, new float[] {1f, Float.NaN, 1f}),
                "CrossEntropyOp", "class weight 1 is NaN");
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void gpt2VocabularyForwardAndBackwardAllocateNoRowsTimesVocabBufferBeyondTheGradient() {
        int rows = 4, vocab = 50257;
        Var logits = param(6, 2f, rows, vocab);
        int[] targets = {50256, 0, IGNORE, 12345};
        long nv = (long) rows * vocab * Float.BYTES;
        Ref ref = reference(logits.data(), vocab, targets);
        int before = Parallel.threads();
        Parallel.setThreads(1); // everything on this thread, so its allocation counter sees it all
        try {
            // Until C2 compiles the vector loops (after ~100 calls), every temporary vector is a heap
            // object, so the steady state is what is measured, after a warm-up on a small vocabulary:
            // a copy of the logits (a softmax) would show up in every call, compiled or not.
            Var small = param(7, 2f, 4, 1000);
            for (int call = 0; call < 300; call++) lossAndGrad(small, new int[] {1, 2, IGNORE, 999}, CrossEntropyOp.Reduction.MEAN, new float[1]);
            long fwd = -1, bwd = -1;
            for (int call = 0; call < 100; call++) {
                logits.clearGrad();
                try (Tape t = Tape.record()) {
                    long a0 = allocatedBytes();
                    Var loss = CrossEntropyOp.apply(logits, targets, IGNORE);
                    long a1 = allocatedBytes();
                    t.backward(loss);
                    long a2 = allocatedBytes();
                    fwd = a1 - a0;
                    bwd = a2 - a1;
                    if (call == 0) {
                        assertEquals(ref.sum / ref.count, loss.data()[0], 1e-6 * ref.sum / ref.count);
                        assertClose(scaled(ref.gradOfSum, 1.0 / ref.count), logits.grad().data(), 1e-5, 1e-10, "gradient");
                    }
                }
                // forward: 2 floats per row and small objects; backward: the gradient buffer itself
                if (fwd < nv / 16 && bwd < nv + nv / 16) {
                    System.out.printf("CE vocab %d, call %d: forward allocated %d B, backward %d B (logits %d B)%n",
                            vocab, call, fwd, bwd, nv);
                    return;
                }
            }
            fail("cross-entropy keeps allocating: forward " + fwd + " B, backward " + bwd + " B per call, logits are " + nv + " B");
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void worksForA150kVocabulary() {
        int rows = 2, vocab = 151_936;
        Var logits = param(9, 3f, rows, vocab);
        int[] targets = {151_935, 7};
        Ref ref = reference(logits.data(), vocab, targets);
        float[] loss = new float[1];
        float[] g = lossAndGrad(logits, targets, CrossEntropyOp.Reduction.MEAN, loss);
        assertEquals(ref.sum / 2, loss[0], 1e-6 * ref.sum / 2);
        assertClose(scaled(ref.gradOfSum, 0.5), g, 1e-5, 1e-10, "gradient");
    }

    @Test
    void badTargetsAndShapesAreReportedClearly() {
        Var logits = param(1, 1f, 2, 5);
        assertShapeError(() -> CrossEntropyOp.apply(logits, new int[] {1, 2, 3}, IGNORE), "CrossEntropyOp", "[2, 5]", "[3]");
        assertShapeError(() -> CrossEntropyOp.apply(logits, new int[] {1, 5}, IGNORE), "CrossEntropyOp", "target 5", "row 1", "5 classes");
        assertShapeError(() -> CrossEntropyOp.apply(param(1, 1f, 5), new int[] {1}, IGNORE), "CrossEntropyOp", "[5]");
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var logits = param(8, 2f, 64, 1000);
        int[] targets = new SplittableRandom(3).ints(64, 0, 1000).toArray();
        targets[5] = IGNORE;
        assertDeterministic(List.of(logits), in -> CrossEntropyOp.apply(in.get(0), targets, IGNORE));
    }
}
