package dev.tune4j.train.optim;

import java.util.Locale;

/**
 * A learning-rate schedule as a multiplier of each group's base learning rate, as Hugging Face's
 * {@code LambdaLR} schedules: before the optimizer's update number {@code step} (0-based: the
 * count of updates already done, {@link Optimizer#stepCount()}), each group's lr is set to
 * {@code baseLr * multiplier(step)} ({@link #apply}). As in Hugging Face, the first update of a
 * warmup schedule therefore uses multiplier 0.
 *
 * <p>Typical loop: {@code schedule.apply(opt); opt.step();}.
 */
@FunctionalInterface
public interface LrSchedule {

    /** Multiplier of the base learning rate for update number {@code step} (0-based). */
    double multiplier(int step);

    /** Sets every group's lr for the optimizer's next update ({@code baseLr * multiplier(stepCount())}). */
    default void apply(Optimizer opt) {
        double f = multiplier(opt.stepCount());
        for (ParamGroup g : opt.groups()) g.setLr(g.baseLr() * f);
    }

    static LrSchedule constant() {
        return step -> 1.0;
    }

    /** Linear ramp from 0 over {@code warmup} updates, then 1 (HF {@code get_constant_schedule_with_warmup}). */
    static LrSchedule constantWithWarmup(int warmup) {
        check(warmup >= 0, "warmup steps must be >= 0, got " + warmup);
        return step -> {
            checkStep(step);
            return step < warmup ? warmupRamp(step, warmup) : 1.0;
        };
    }

    /** Warmup, then linear decay to 0 at {@code total} (HF {@code get_linear_schedule_with_warmup}). */
    static LrSchedule linear(int warmup, int total) {
        return linear(warmup, total, 0.0);
    }

    /**
     * Warmup, then linear decay from 1 to {@code minRatio} at {@code total}, then {@code minRatio}.
     * With minRatio 0 the values equal Hugging Face's linear schedule.
     */
    static LrSchedule linear(int warmup, int total, double minRatio) {
        checkRange(warmup, total, minRatio);
        return step -> {
            checkStep(step);
            if (step < warmup) return warmupRamp(step, warmup);
            double remaining = Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
            return minRatio + (1 - minRatio) * remaining;
        };
    }

    /** Warmup, then half a cosine from 1 to 0 at {@code total} (HF {@code get_cosine_schedule_with_warmup}). */
    static LrSchedule cosine(int warmup, int total) {
        return cosine(warmup, total, 0.5, 0.0);
    }

    /**
     * Warmup, then {@code minRatio + (1 - minRatio) * 0.5 * (1 + cos(2 pi cycles progress))} with
     * progress from 0 to 1 over [warmup, total] (HF {@code get_cosine_with_min_lr_schedule_with_warmup};
     * with minRatio 0, HF's cosine schedule). Unlike HF, progress stops at 1 after {@code total}, so
     * the lr does not rise again if training runs past the planned step count.
     */
    static LrSchedule cosine(int warmup, int total, double cycles, double minRatio) {
        checkRange(warmup, total, minRatio);
        check(cycles > 0 && Double.isFinite(cycles), "cosine cycles must be > 0, got " + cycles);
        return step -> {
            checkStep(step);
            if (step < warmup) return warmupRamp(step, warmup);
            double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
            double f = Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress)));
            return minRatio + (1 - minRatio) * f;
        };
    }

    /**
     * A schedule by Hugging Face {@code lr_scheduler_type} name: "constant", "constant_with_warmup",
     * "linear", "cosine" (minRatio applies to linear and cosine).
     */
    static LrSchedule named(String type, int warmup, int total, double minRatio) {
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "constant" -> constant();
            case "constant_with_warmup" -> constantWithWarmup(warmup);
            case "linear" -> linear(warmup, total, minRatio);
            case "cosine" -> cosine(warmup, total, 0.5, minRatio);
            default -> throw new IllegalArgumentException("unknown lr schedule '" + type
                    + "' (expected constant, constant_with_warmup, linear or cosine)");
        };
    }

    private static double warmupRamp(int step, int warmup) {
        return (double) step / Math.max(1, warmup);
    }

    private static void checkRange(int warmup, int total, double minRatio) {
        check(total > 0, "total steps must be > 0, got " + total);
        check(warmup >= 0 && warmup <= total, "warmup steps must be in [0, total=" + total + "], got " + warmup);
        check(minRatio >= 0 && minRatio <= 1, "min lr ratio must be in [0, 1], got " + minRatio);
    }

    private static void checkStep(int step) {
        check(step >= 0, "lr schedule step must be >= 0, got " + step);
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
