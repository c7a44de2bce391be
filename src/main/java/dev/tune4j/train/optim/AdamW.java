package dev.tune4j.train.optim;

import dev.tune4j.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.List;

/**
 * AdamW with decoupled weight decay, the update of {@code torch.optim.AdamW} (amsgrad off):
 * <pre>
 *   p  = p * (1 - lr * wd)                       decoupled decay, before the Adam step
 *   m  = m + (1 - beta1) * (g - m)               (= beta1*m + (1-beta1)*g, torch's lerp)
 *   v  = beta2 * v + (1 - beta2) * g * g
 *   p  = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * with t the parameter's own step count (1 on its first update). Scalars are formed in float64
 * and the element loop runs in float32, as torch's CPU kernel for float32 parameters.
 * Per-parameter state: {@code exp_avg} (m) and {@code exp_avg_sq} (v), named as in torch.
 *
 * <p>Elementwise and split with {@link Parallel} over a parameter's elements; the vector body and
 * the scalar tail perform the same correctly rounded operations, so the result does not depend on
 * the thread count or on where chunk boundaries fall.
 */
public final class AdamW extends AbstractOptimizer {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elements per chunk below which splitting a parameter costs more than it saves. */
    private static final int MIN_CHUNK = 1 << 15;

    /** Defaults as torch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static final double DEFAULT_LR = 1e-3, DEFAULT_WEIGHT_DECAY = 0.01;

    public AdamW(List<ParamGroup> groups) {
        super(groups);
    }

    @Override
    protected String kind() {
        return "adamw";
    }

    @Override
    protected String[] stateNames() {
        return new String[] {"exp_avg", "exp_avg_sq"};
    }

    @Override
    protected void update(ParamGroup g, float[] w, float[] grad, float[][] state, int step) {
        double lr = g.lr();
        double bc1 = 1 - Math.pow(g.beta1(), step);
        double bc2 = 1 - Math.pow(g.beta2(), step);
        float decay = (float) (1 - lr * g.weightDecay());
        float beta2 = (float) g.beta2();
        float omb1 = (float) (1 - g.beta1());
        float omb2 = (float) (1 - g.beta2());
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float eps = (float) g.eps();
        float negStep = (float) -(lr / bc1);
        float[] m = state[0], v = state[1];
        Parallel.forRange(w.length, MIN_CHUNK, (s, e) -> kernel(w, grad, m, v, s, e, decay, omb1, beta2, omb2, bc2Sqrt, eps, negStep));
    }

    /** The update over [from, to); see the class comment for the formula. */
    static void kernel(float[] w, float[] g, float[] m, float[] v, int from, int to,
                       float decay, float omb1, float beta2, float omb2, float bc2Sqrt, float eps, float negStep) {
        // Scalars broadcast once, outside the loop.
        FloatVector omb1v = FloatVector.broadcast(S, omb1), omb2v = FloatVector.broadcast(S, omb2);
        FloatVector negStepV = FloatVector.broadcast(S, negStep);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector mv = FloatVector.fromArray(S, m, i);
            FloatVector vv = FloatVector.fromArray(S, v, i);
            FloatVector wv = FloatVector.fromArray(S, w, i).mul(decay);
            mv = gv.sub(mv).fma(omb1v, mv);
            vv = gv.mul(gv).fma(omb2v, vv.mul(beta2));
            FloatVector denom = vv.sqrt().div(bc2Sqrt).add(eps);
            wv = mv.div(denom).fma(negStepV, wv);
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            wv.intoArray(w, i);
        }
        for (; i < to; i++) {
            float gi = g[i], mi = m[i], vi = v[i];
            float wi = w[i] * decay;
            mi = Math.fma(gi - mi, omb1, mi);
            vi = Math.fma(gi * gi, omb2, vi * beta2);
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            m[i] = mi;
            v[i] = vi;
            w[i] = Math.fma(mi / denom, negStep, wi);
        }
    }
}
