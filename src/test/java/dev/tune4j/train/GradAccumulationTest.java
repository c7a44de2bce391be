package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.train.optim.ParamGroup;
import dev.tune4j.train.optim.Sgd;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class GradAccumulationTest {

    /** Mean squared error of a linear model y = x.w + b over rows [from, to), written as one inline op. */
    static Var mseLoss(Parameter w, Parameter b, float[][] x, float[] target, int from, int to) {
        int n = to - from, d = w.data().length;
        float[] residual = new float[n];
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double y = b.data()[0];
            for (int j = 0; j < d; j++) y += w.data()[j] * x[from + i][j];
            residual[i] = (float) (y - target[from + i]);
            loss += (double) residual[i] * residual[i];
        }
        Var out = Tape.output(Tensor.of(new float[] {(float) (loss / n)}, 1), w, b);
        if (out.requiresGrad()) Tape.push(() -> {
            float dy = out.grad().data()[0];
            float[] gw = w.gradForAccumulation(), gb = b.gradForAccumulation();
            for (int i = 0; i < n; i++) {
                float c = dy * 2 * residual[i] / n;
                gb[0] += c;
                for (int j = 0; j < d; j++) gw[j] += c * x[from + i][j];
            }
        });
        return out;
    }

    static void backward(Parameter w, Parameter b, float[][] x, float[] t, int from, int to) {
        try (Tape tape = Tape.record()) {
            tape.backward(mseLoss(w, b, x, t, from, to));
        }
    }

    @Test
    void twoAccumulatedHalfBatchesGiveTheSameUpdateAsOneFullBatch() {
        SplittableRandom rng = new SplittableRandom(9);
        int rows = 8, d = 5;
        float[][] x = new float[rows][d];
        float[] t = new float[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < d; j++) x[i][j] = (float) Tensor.gaussian(rng);
            t[i] = (float) Tensor.gaussian(rng);
        }
        Tensor w0 = Tensor.randn(rng, 1f, d), b0 = Tensor.randn(rng, 1f, 1);

        Parameter wFull = new Parameter("w", w0.copy()), bFull = new Parameter("b", b0.copy());
        backward(wFull, bFull, x, t, 0, rows);

        Parameter wAcc = new Parameter("w", w0.copy()), bAcc = new Parameter("b", b0.copy());
        GradAccumulation acc = new GradAccumulation(2);
        backward(wAcc, bAcc, x, t, 0, rows / 2);
        assertFalse(acc.record());
        backward(wAcc, bAcc, x, t, rows / 2, rows);
        assertTrue(acc.record());
        assertEquals(2, acc.finish(List.of(wAcc, bAcc)));
        assertEquals(0, acc.pending());

        for (int j = 0; j < d; j++) assertEquals(wFull.grad().data()[j], wAcc.grad().data()[j], 1e-6 * Math.abs(wFull.grad().data()[j]) + 1e-7);
        assertEquals(bFull.grad().data()[0], bAcc.grad().data()[0], 1e-6);

        // SGD's update is proportional to the gradient, so a wrong scale would show in the weights.
        new Sgd(List.of(new ParamGroup("all", List.of(wFull, bFull), 0.1, 0)), 0).step();
        new Sgd(List.of(new ParamGroup("all", List.of(wAcc, bAcc), 0.1, 0)), 0).step();
        for (int j = 0; j < d; j++) assertEquals(wFull.data()[j], wAcc.data()[j], 1e-6);
        assertEquals(bFull.data()[0], bAcc.data()[0], 1e-6);
        assertNotEquals(w0.data()[0], wFull.data()[0]);
    }

    @Test
    void aPartialWindowIsAveragedOverTheMicroBatchesItHas() {
        Parameter p = new Parameter("w", Tensor.zeros(2));
        GradAccumulation acc = new GradAccumulation(4);
        float[] g = p.gradForAccumulation();
        for (int k = 1; k <= 3; k++) {
            g[0] += k;
            g[1] += 2 * k;
            assertFalse(acc.record());
        }
        assertEquals(3, acc.finish(List.of(p)));
        assertArrayEquals(new float[] {2, 4}, g);
        assertThrows(IllegalStateException.class, () -> acc.finish(List.of(p)));
        assertThrows(IllegalArgumentException.class, () -> new GradAccumulation(0));
    }
}
