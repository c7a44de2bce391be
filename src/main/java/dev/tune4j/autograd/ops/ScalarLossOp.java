package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;

/**
 * A scalar loss of a vector, computed in float64 by a {@link Function} that also gives its
 * gradient: the pair losses of preference training (DPO, IPO, ORPO, SimPO, Bradley-Terry) of
 * per-token log-probabilities or rewards, and the clipped policy losses of PPO and GRPO. These are
 * small (one value per token or sequence), so the loss is written once in plain Java and its
 * derivative beside it, rather than as a chain of elementwise ops.
 * <pre>
 *   forward:  L = f(x)            backward: dx += dL * grad f(x)
 * </pre>
 */
public final class ScalarLossOp {
    private ScalarLossOp() {}

    /** A differentiable scalar function of a vector. */
    @FunctionalInterface
    public interface Function {
        /** @return f(x); writes df/dx_i into {@code grad} (zeroed, length x.length) */
        double apply(double[] x, double[] grad);
    }

    public static Var apply(Var x, Function f) {
        float[] xf = x.value().toHeap().data();
        double[] xd = new double[xf.length], grad = new double[xf.length];
        for (int i = 0; i < xf.length; i++) xd[i] = xf[i];
        double value = f.apply(xd, grad);
        Var y = Tape.output(Tensor.of(new float[] {(float) value}), x);
        if (y.requiresGrad()) Tape.push(() -> {
            if (y.grad() == null) return;
            float g = y.grad().data()[0];
            float[] dx = x.gradForAccumulation();
            for (int i = 0; i < dx.length; i++) dx[i] += (float) (g * grad[i]);
        });
        return y;
    }
}
