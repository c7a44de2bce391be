package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;

/**
 * Pointwise activations (GELU, SiLU, tanh) and their derivatives, and SwiGLU (silu(gate) * up) fused. Backward
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
        SILU,
        /** tanh(x): BERT's pooler. */
        TANH
    }

    private static final FloatVector ONE = FloatVector.broadcast(F, 1f);
    private static final FloatVector GELU_CUBIC = FloatVector.broadcast(F, 0.044715f);
    private static final FloatVector GELU_CUBIC_3 = FloatVector.broadcast(F, 3 * 0.044715f);
    private static final FloatVector TWO_SQRT_2_OVER_PI = FloatVector.broadcast(F, 2 * 0.7978845608028654f);
    private static final FloatVector INV_SQRT_2PI = FloatVector.broadcast(F, 0.3989422804014327f);

    /** Elements per parallel chunk: these are compute-bound, so smaller than plain arithmetic's. */
    private static final int GRAIN = Elementwise.GRAIN / 4;

    // One loop per kind, each calling at most one VMath function before plain Vector API code: see
    // VMath on C2's inlining budget (a loop carrying every kind, or helper calls after the exp,
    // would leave vector calls out of line and box them).

    /** y = f(x). */
    public static void forward(Kind kind, float[] x, float[] y, int n) {
        Elementwise.forVectors(n, GRAIN, switch (kind) {
            case GELU_ERF -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    FloatVector v = FloatVector.fromArray(F, x, i, m);
                    v.mul(VMath.normalCdf(v, VMath.gaussian(v))).intoArray(y, i, m);
                }
            };
            // 0.5 (1 + tanh(u)) = sigmoid(2u): one exp, no cancellation for negative u
            case GELU_TANH -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    FloatVector v = FloatVector.fromArray(F, x, i, m);
                    FloatVector z = v.mul(v).fma(GELU_CUBIC, ONE).mul(v).mul(TWO_SQRT_2_OVER_PI); // 2u
                    v.mul(VMath.sigmoid(z)).intoArray(y, i, m);
                }
            };
            case SILU -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    FloatVector v = FloatVector.fromArray(F, x, i, m);
                    v.mul(VMath.sigmoid(v)).intoArray(y, i, m);
                }
            };
            case TANH -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    VMath.tanh(FloatVector.fromArray(F, x, i, m)).intoArray(y, i, m);
                }
            };
        });
    }

    /** dx += dy * f'(x). */
    public static void backward(Kind kind, float[] x, float[] dy, float[] dx, int n) {
        Elementwise.forVectors(n, GRAIN, switch (kind) {
            case GELU_ERF -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    FloatVector v = FloatVector.fromArray(F, x, i, m);
                    FloatVector g = VMath.gaussian(v);
                    FloatVector d = g.mul(INV_SQRT_2PI).fma(v, VMath.normalCdf(v, g));   // Phi + x phi
                    d.fma(FloatVector.fromArray(F, dy, i, m), FloatVector.fromArray(F, dx, i, m)).intoArray(dx, i, m);
                }
            };
            case GELU_TANH -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    FloatVector v = FloatVector.fromArray(F, x, i, m);
                    FloatVector x2 = v.mul(v);
                    FloatVector sg = VMath.sigmoid(x2.fma(GELU_CUBIC, ONE).mul(v).mul(TWO_SQRT_2_OVER_PI));
                    // d/dx [x s(z)] = s + x s (1 - s) z', z = 2u, z' = 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2)
                    FloatVector dz = x2.fma(GELU_CUBIC_3, ONE).mul(TWO_SQRT_2_OVER_PI);
                    FloatVector d = v.mul(sg).mul(ONE.sub(sg)).fma(dz, sg);
                    d.fma(FloatVector.fromArray(F, dy, i, m), FloatVector.fromArray(F, dx, i, m)).intoArray(dx, i, m);
                }
            };
            case SILU -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    FloatVector v = FloatVector.fromArray(F, x, i, m);
                    FloatVector sg = VMath.sigmoid(v);
                    FloatVector d = v.fma(ONE.sub(sg), ONE).mul(sg);                   // s (1 + x (1 - s))
                    d.fma(FloatVector.fromArray(F, dy, i, m), FloatVector.fromArray(F, dx, i, m)).intoArray(dx, i, m);
                }
            };
            case TANH -> (s, e) -> {
                for (int i = s; i < e; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, e);
                    FloatVector t = VMath.tanh(FloatVector.fromArray(F, x, i, m));
                    FloatVector d = t.neg().fma(t, ONE);                                // 1 - t^2, rounded once
                    d.fma(FloatVector.fromArray(F, dy, i, m), FloatVector.fromArray(F, dx, i, m)).intoArray(dx, i, m);
                }
            };
        });
    }

    /** y = silu(gate) * up. */
    public static void swigluForward(float[] gate, float[] up, float[] y, int n) {
        Elementwise.forVectors(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector g = FloatVector.fromArray(F, gate, i, m);
                g.mul(VMath.sigmoid(g)).mul(FloatVector.fromArray(F, up, i, m)).intoArray(y, i, m);
            }
        });
    }

    /** dGate += dy * up * silu'(gate), dUp += dy * silu(gate); either may be null (frozen). */
    public static void swigluBackward(float[] gate, float[] up, float[] dy, float[] dGate, float[] dUp, int n) {
        Elementwise.forVectors(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = F.indexInRange(i, e);
                FloatVector g = FloatVector.fromArray(F, gate, i, m);
                FloatVector sg = VMath.sigmoid(g);
                FloatVector d = FloatVector.fromArray(F, dy, i, m);
                if (dGate != null) {
                    FloatVector silu1 = g.fma(ONE.sub(sg), ONE).mul(sg);
                    silu1.mul(FloatVector.fromArray(F, up, i, m)).fma(d, FloatVector.fromArray(F, dGate, i, m)).intoArray(dGate, i, m);
                }
                if (dUp != null) g.mul(sg).fma(d, FloatVector.fromArray(F, dUp, i, m)).intoArray(dUp, i, m);
            }
        });
    }
}
