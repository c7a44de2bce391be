package dev.tune4j.report;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.time.Duration;

/**
 * What the user sees of a training run while it runs: step/total, the current loss, tokens per second
 * and the time left. The trainer calls {@link #start}, then {@link #step} after every optimiser step,
 * {@link #message} for anything worth a line of its own (an evaluation, a checkpoint), and {@link #close}.
 */
public interface TrainingProgress extends AutoCloseable {

    void start(long totalSteps);

    void step(long step, double loss, double tokensPerSecond);

    /** A line of its own, printed above the bar (or between the progress lines). */
    void message(String line);

    @Override
    void close();

    /**
     * Progress on stderr: a live bar when stderr is a terminal; otherwise (CI, a pipe, a file) a plain
     * line every 15 seconds, because a redrawn bar there is a flood of carriage returns and escape codes.
     */
    static TrainingProgress toStderr() {
        return stderrIsTerminal() ? new TerminalProgress(System.err) : new LineProgress(System.err, Duration.ofSeconds(15), System::nanoTime);
    }

    /** Nothing at all: for {@code --json}, where stdout carries JSON lines and the caller reports progress in them. */
    static TrainingProgress none() {
        return new TrainingProgress() {
            @Override public void start(long totalSteps) {}
            @Override public void step(long step, double loss, double tokensPerSecond) {}
            @Override public void message(String line) {}
            @Override public void close() {}
        };
    }

    /** libc {@code isatty(2)}; false where it cannot be asked (no such symbol, native access denied). */
    private static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) return false;
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(
                    linker.defaultLookup().find("isatty").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            return (int) isatty.invokeExact(2) == 1;
        } catch (Throwable e) {
            return false;
        }
    }
}
