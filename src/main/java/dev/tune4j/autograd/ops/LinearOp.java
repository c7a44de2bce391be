package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/** TEMPORARY scalar version until the GEMM branch lands. y = x·Wᵀ + b. */
public final class LinearOp {
    private LinearOp() {}

    public static Var apply(Var x, Var weight, Var bias) {
        int[] xs = x.shape(), ws = weight.shape();
        int in = xs[xs.length - 1];
        Shape.check(ws.length == 2 && ws[1] == in, "LinearOp", "inner dimensions differ", xs, ws);
        int out = ws[0], rows = (int) (x.value().numel() / in);
        float[] xd = x.data();
        Tensor wt = weight.value().toHeap();
        float[] w = wt.data();
        float[] b = bias == null ? null : bias.value().toHeap().data();
        int[] os = xs.clone();
        os[os.length - 1] = out;
        Tensor y = Tensor.zeros(os);
        float[] yd = y.data();
        Parallel.forRange(rows, (s, e) -> {
            for (int r = s; r < e; r++) for (int o = 0; o < out; o++) {
                float acc = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) acc += xd[r * in + i] * w[o * in + i];
                yd[r * out + o] = acc;
            }
        });
        Var yv = Tape.output(y, x, weight, bias);
        if (yv.requiresGrad()) Tape.push(() -> {
            if (yv.grad() == null) return;
            float[] dy = yv.grad().data();
            if (x.requiresGrad()) {
                float[] dx = x.gradForAccumulation();
                Parallel.forRange(rows, (s, e) -> {
                    for (int r = s; r < e; r++) for (int o = 0; o < out; o++) {
                        float g = dy[r * out + o];
                        for (int i = 0; i < in; i++) dx[r * in + i] += g * w[o * in + i];
                    }
                });
            }
            if (weight.requiresGrad()) {
                float[] dw = weight.gradForAccumulation();
                Parallel.forRange(out, (s, e) -> {
                    for (int o = s; o < e; o++) for (int r = 0; r < rows; r++) {
                        float g = dy[r * out + o];
                        for (int i = 0; i < in; i++) dw[o * in + i] += g * xd[r * in + i];
                    }
                });
            }
            if (bias != null && bias.requiresGrad()) {
                float[] db = bias.gradForAccumulation();
                for (int r = 0; r < rows; r++) for (int o = 0; o < out; o++) db[o] += dy[r * out + o];
            }
        });
        return yv;
    }
}
