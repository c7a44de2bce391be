package dev.tune4j.report;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/** Progress as plain lines, at most one per interval (plus the first and last step): for logs, where nothing is redrawn. */
final class LineProgress implements TrainingProgress {
    private final PrintStream out;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private long total, startNanos, lastPrinted, lastStep = -1, printedStep = -1;
    private double lastLoss, lastSpeed;

    LineProgress(PrintStream out, Duration interval, LongSupplier nanoClock) {
        this.out = out;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
    }

    @Override
    public void start(long totalSteps) {
        total = totalSteps;
        startNanos = nanoClock.getAsLong();
    }

    @Override
    public void step(long step, double loss, double tokensPerSecond) {
        lastStep = step;
        lastLoss = loss;
        lastSpeed = tokensPerSecond;
        long now = nanoClock.getAsLong();
        if (printedStep < 0 || step >= total || now - lastPrinted >= intervalNanos) print(now);
    }

    @Override
    public void message(String line) {
        out.println(line);
    }

    @Override
    public void close() {
        if (lastStep >= 0 && lastStep != printedStep) print(nanoClock.getAsLong());
        out.flush();
    }

    private void print(long now) {
        long elapsed = now - startNanos;
        String eta = lastStep > 0 && total > 0 ? clock(elapsed / lastStep * Math.max(0, total - lastStep)) : "?";
        out.printf(Locale.ROOT, "step %d/%d  %s  elapsed %s  eta %s%n", lastStep, total, lossAndSpeed(lastLoss, lastSpeed), clock(elapsed), eta);
        lastPrinted = now;
        printedStep = lastStep;
    }

    /** The figures shown beside the step, in the bar and in the lines alike. */
    static String lossAndSpeed(double loss, double tokensPerSecond) {
        return String.format(Locale.ROOT, "loss %.4f  %,.0f tok/s", loss, tokensPerSecond);
    }

    private static String clock(long nanos) {
        long s = nanos / 1_000_000_000L;
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
