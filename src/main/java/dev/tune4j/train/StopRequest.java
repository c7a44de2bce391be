package dev.tune4j.train;

/**
 * A request to end a run at the next update boundary, after a checkpoint: set from a signal
 * handler, another thread, or a test. The update in progress always finishes, so the checkpoint
 * holds a state an uninterrupted run also passes through.
 */
public final class StopRequest {
    private volatile String reason;

    public void request(String why) {
        if (reason == null) reason = why;
    }

    public boolean requested() {
        return reason != null;
    }

    /** What asked for the stop (e.g. "SIGTERM"); null when nothing did. */
    public String reason() {
        return reason;
    }
}
