package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Pointwise activations and their derivatives, and SwiGLU (silu(gate) * up) fused. Backward
 * kernels recompute from the saved input rather than keep an extra activation-sized buffer.
 */
public final class Activations {
    private Activations() {}

    public enum Kind {
        /** x * Phi(x), Phi the normal CDF: torch's default (exact, erf-based) GELU. */
        GELU_ERF,
        /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): torch approximate='tanh', as in GPT-2. */
        GELU_TANH,
        /** x * sigmoid(x). */
        SILU
    }

    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    private static final float GELU_CUBIC = 0.044715f;

    /** f(x) for every lane. */
    static FloatVector value(Kind kind, FloatVector x) {
        return switch (kind) {
            case GELU_ERF -> x.mul(VMath.normalCdf(x, VMath.gaussian(x)));
            // 0.5 (1 + tanh(u)) = sigmoid(2u): one exp, no cancellation for negative u
            case GELU_TANH -> x.mul(VMath.sigmoid(tanhArgument2(x)));
            case SILU -> x.mul(VMath.sigmoid(x));
        };
    }

    /** f'(x) for every lane. */
    static FloatVector derivative(Kind kind, FloatVector x) {
        return switch (kind) {
            case GELU_ERF -> {
                FloatVector g = VMath.gaussian(x);
                yield x.fma(VMath.normalPdf(g), VMath.normalCdf(x, g));           // Phi + x phi
            }
            case GELU_TANH -> {
                FloatVector s = VMath.sigmoid(tanhArgument2(x));
                // d/dx [x s(z)] = s + x s (1 - s) z', z = 2u, z' = 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2)
                FloatVector dz = x.mul(x).fma(FloatVector.broadcast(F, 3 * GELU_CUBIC), FloatVector.broadcast(F, 1f))
                        .mul(2 * SQRT_2_OVER_PI);
                yield x.mul(s).mul(s.neg().add(1f)).fma(dz, s);
            }
            case SILU -> silu1(x, VMath.sigmoid(x));
        };
    }

    /** 2u = 2 sqrt(2/pi) (x + 0.044715 x^3). */
    private static FloatVector tanhArgument2(FloatVector x) {
        return x.mul(x).fma(FloatVector.broadcast(F, GELU_CUBIC), FloatVector.broadcast(F, 1f)).mul(x).mul(2 * SQRT_2_OVER_PI);
    }

    /** silu'(x) = s (1 + x (1 - s)) with s = sigmoid(x). */
    private static FloatVector silu1(FloatVector x, FloatVector s) {
        return x.mul(s.neg().add(1f)).add(1f).mul(s);
    }

    /** y = f(x). */
    public static void forward(Kind kind, float[] x, float[] y, int n) {
        Elementwise.forVectors(n, Elementwise.GRAIN / 4, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                value(kind, FloatVector.fromArray(F, x, i, m)).intoArray(y, i, m);
            }
        });
    }

    /** dx += dy * f'(x). */
    public static void backward(Kind kind, float[] x, float[] dy, float[] dx, int n) {
        Elementwise.forVectors(n, Elementwise.GRAIN / 4, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector d = derivative(kind, FloatVector.fromArray(F, x, i, m));
                d.fma(FloatVector.fromArray(F, dy, i, m), FloatVector.fromArray(F, dx, i, m)).intoArray(dx, i, m);
            }
        });
    }

    /** y = silu(gate) * up. */
    public static void swigluForward(float[] gate, float[] up, float[] y, int n) {
        Elementwise.forVectors(n, Elementwise.GRAIN / 4, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector g = FloatVector.fromArray(F, gate, i, m);
                g.mul(VMath.sigmoid(g)).mul(FloatVector.fromArray(F, up, i, m)).intoArray(y, i, m);
            }
        });
    }

    /** dGate += dy * up * silu'(gate), dUp += dy * silu(gate); either may be null (frozen). */
    public static void swigluBackward(float[] gate, float[] up, float[] dy, float[] dGate, float[] dUp, int n) {
        Elementwise.forVectors(n, Elementwise.GRAIN / 4, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector g = FloatVector.fromArray(F, gate, i, m);
                FloatVector d = FloatVector.fromArray(F, dy, i, m);
                FloatVector sg = VMath.sigmoid(g);
                if (dGate != null) {
                    FloatVector du = d.mul(FloatVector.fromArray(F, up, i, m));
                    silu1(g, sg).fma(du, FloatVector.fromArray(F, dGate, i, m)).intoArray(dGate, i, m);
                }
                if (dUp != null) {
                    g.mul(sg).fma(d, FloatVector.fromArray(F, dUp, i, m)).intoArray(dUp, i, m);
                }
            }
        });
    }
}
