package dev.tune4j.train;

import java.nio.file.Path;

/**
 * The run ended early at a {@link StopRequest}: {@code step} updates are done, and their state is
 * in {@code checkpoint} (null when this run wrote none: no update done yet, or no place to save).
 */
public final class TrainingStoppedException extends RuntimeException {
    private final int step;
    private final Path checkpoint;

    public TrainingStoppedException(String reason, int step, Path checkpoint) {
        super(step == 0 ? "stopped (" + reason + ") before the first update; nothing was saved"
                : "stopped (" + reason + ") after update " + step + (checkpoint == null ? "" : "; its state is saved in " + checkpoint));
        this.step = step;
        this.checkpoint = checkpoint;
    }

    public int step() { return step; }

    public Path checkpoint() { return checkpoint; }
}
