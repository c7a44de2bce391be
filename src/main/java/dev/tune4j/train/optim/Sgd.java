package dev.tune4j.train.optim;

import dev.tune4j.kernel.Parallel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, the update of {@code torch.optim.SGD}:
 * <pre>
 *   d = g + wd * p                              weight decay coupled into the gradient
 *   buf = d                      on the parameter's first update,
 *   buf = momentum * buf + (1 - dampening) * d  afterwards
 *   d = nesterov ? d + momentum * buf : buf     (when momentum != 0)
 *   p = p - lr * d
 * </pre>
 * The gradient buffer itself is not modified. Per-parameter state: {@code momentum_buffer} (only
 * when momentum != 0). Momentum, dampening and nesterov are optimizer-wide; lr and weight decay
 * come from each group.
 */
public final class Sgd extends AbstractOptimizer {
    private static final int MIN_CHUNK = 1 << 15;

    private final double momentum, dampening;
    private final boolean nesterov;

    public Sgd(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        super(groups);
        if (!(momentum >= 0) || !Double.isFinite(momentum)) throw new IllegalArgumentException("SGD: momentum must be finite and >= 0, got " + momentum);
        if (!(dampening >= 0) || !Double.isFinite(dampening)) throw new IllegalArgumentException("SGD: dampening must be finite and >= 0, got " + dampening);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: nesterov momentum requires momentum > 0 and dampening 0, got momentum "
                    + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    /** Momentum without dampening (the common setting). */
    public Sgd(List<ParamGroup> groups, double momentum) {
        this(groups, momentum, 0, false);
    }

    @Override
    protected String kind() {
        return "sgd";
    }

    @Override
    protected String[] stateNames() {
        return momentum != 0 ? new String[] {"momentum_buffer"} : new String[0];
    }

    @Override
    protected Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("momentum", momentum);
        m.put("dampening", dampening);
        m.put("nesterov", nesterov);
        return m;
    }

    @Override
    protected void update(ParamGroup g, float[] w, float[] grad, float[][] state, int step) {
        float negLr = (float) -g.lr();
        float wd = (float) g.weightDecay();
        float mom = (float) momentum;
        float keep = (float) (1 - dampening);
        float[] buf = momentum != 0 ? state[0] : null;
        boolean first = step == 1;
        Parallel.forRange(w.length, MIN_CHUNK, (s, e) -> {
            for (int i = s; i < e; i++) {
                float d = wd != 0 ? Math.fma(w[i], wd, grad[i]) : grad[i];
                if (buf != null) {
                    float b = first ? d : Math.fma(buf[i], mom, d * keep);
                    buf[i] = b;
                    d = nesterov ? Math.fma(b, mom, d) : b;
                }
                w[i] = Math.fma(d, negLr, w[i]);
            }
        });
    }
}
