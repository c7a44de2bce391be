package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;

import java.util.List;

/**
 * Parameters that share optimizer hyperparameters, as torch's {@code param_groups}. Each group has a
 * peak learning rate ({@link #baseLr()}) and the learning rate the next step uses ({@link #lr()}):
 * an {@link LrSchedule} sets {@code lr = baseLr * multiplier(step)} before each step, so a group
 * with a larger base (e.g. embeddings with an lr multiplier) keeps its ratio through the schedule.
 * Adam's betas and eps live here too so a group can override them; SGD ignores them.
 */
public final class ParamGroup {
    private final String name;
    private final List<Parameter> params;
    private double baseLr;
    private double lr;
    private double weightDecay;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;

    /** A group with base and current lr both set to {@code lr}, torch's default betas (0.9, 0.999) and eps 1e-8. */
    public ParamGroup(String name, List<Parameter> params, double lr, double weightDecay) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a parameter group needs a name");
        this.name = name;
        this.params = List.copyOf(params);
        setBaseLr(lr);
        setLr(lr);
        setWeightDecay(weightDecay);
    }

    public String name() { return name; }

    public List<Parameter> params() { return params; }

    public double baseLr() { return baseLr; }

    public double lr() { return lr; }

    public double weightDecay() { return weightDecay; }

    public double beta1() { return beta1; }

    public double beta2() { return beta2; }

    public double eps() { return eps; }

    public ParamGroup setBaseLr(double v) {
        this.baseLr = check(v, v >= 0, "base lr", ">= 0");
        return this;
    }

    public ParamGroup setLr(double v) {
        this.lr = check(v, v >= 0, "lr", ">= 0");
        return this;
    }

    public ParamGroup setWeightDecay(double v) {
        this.weightDecay = check(v, v >= 0, "weight decay", ">= 0");
        return this;
    }

    public ParamGroup setBetas(double b1, double b2) {
        this.beta1 = check(b1, b1 >= 0 && b1 < 1, "beta1", "in [0, 1)");
        this.beta2 = check(b2, b2 >= 0 && b2 < 1, "beta2", "in [0, 1)");
        return this;
    }

    public ParamGroup setEps(double v) {
        this.eps = check(v, v >= 0, "eps", ">= 0");
        return this;
    }

    private double check(double v, boolean ok, String what, String rule) {
        if (!ok || !Double.isFinite(v)) {
            throw new IllegalArgumentException("parameter group '" + name + "': " + what + " must be finite and " + rule + ", got " + v);
        }
        return v;
    }

    @Override
    public String toString() {
        return "ParamGroup(" + name + ", " + params.size() + " params, lr=" + lr + ", base_lr=" + baseLr
                + ", weight_decay=" + weightDecay + ")";
    }
}
