package dev.tune4j.autograd;

import java.util.EnumMap;
import java.util.Map;

/**
 * Wall time by phase of a training step, for {@code tune4j bench step}: the ops of each phase time
 * their forward and wrap their backward ({@link #timed}); whatever no op claims is "other". Off by
 * default, and then an op pays one static read. Only the thread that drives the step records (the
 * kernels' worker threads run inside the timed calls), so the counters need no synchronisation.
 */
public final class Profile {
    public enum Phase { GEMM, ATTENTION, NORMS_ACTIVATIONS, LOSS, OPTIMIZER }

    private static boolean on;
    private static final long[] NANOS = new long[Phase.values().length];

    private Profile() {}

    /** Starts (or stops) recording; starting clears the counters. */
    public static void enable(boolean enabled) {
        java.util.Arrays.fill(NANOS, 0);
        on = enabled;
    }

    /** A start time for {@link #stop}, or 0 when recording is off. */
    public static long start() {
        return on ? System.nanoTime() : 0;
    }

    public static void stop(Phase phase, long start) {
        if (start != 0) NANOS[phase.ordinal()] += System.nanoTime() - start;
    }

    /** {@code step}, timed as {@code phase} when recording is on. */
    public static Tape.Backward timed(Phase phase, Tape.Backward step) {
        if (!on) return step;
        return () -> {
            long t0 = System.nanoTime();
            step.run();
            NANOS[phase.ordinal()] += System.nanoTime() - t0;
        };
    }

    /** Seconds per phase since recording started. */
    public static Map<Phase, Double> seconds() {
        Map<Phase, Double> m = new EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) m.put(p, NANOS[p.ordinal()] / 1e9);
        return m;
    }
}
