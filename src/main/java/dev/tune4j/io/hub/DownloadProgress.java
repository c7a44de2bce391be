package dev.tune4j.io.hub;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What the user sees of a download, on stderr: a live bar per file on a terminal, otherwise (CI, a
 * pipe, a log) a line when a file starts and ends and one every 15 seconds between, and nothing at all
 * when progress is off ({@code --json}, {@code HF_HUB_DISABLE_PROGRESS_BARS}).
 */
interface DownloadProgress {

    /** A line of its own (what is about to be fetched, a fallback to the cache). */
    void message(String line);

    /** Progress of one file of {@code size} bytes, {@code done} of which are already on disk. */
    Bar file(String name, long size, long done);

    interface Bar extends AutoCloseable {
        void add(long bytes);

        /** The bytes on disk went back to {@code done} (the server ignored a Range request). */
        void reset(long done);

        @Override
        void close();
    }

    static DownloadProgress of(boolean show) {
        if (!show) return NONE;
        return Libc.isTerminal(2) && !"dumb".equals(System.getenv("TERM")) ? new Terminal(System.err) : new Lines(System.err);
    }

    DownloadProgress NONE = new DownloadProgress() {
        @Override public void message(String line) {}

        @Override public Bar file(String name, long size, long done) {
            return new Bar() {
                @Override public void add(long bytes) {}
                @Override public void reset(long done) {}
                @Override public void close() {}
            };
        }
    };

    /** A size in B, kB, MB or GB (powers of 1000, as the Hub shows them). */
    static String size(long bytes) {
        if (bytes < 1000) return bytes + " B";
        if (bytes < 1_000_000) return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        if (bytes < 1_000_000_000) return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    /** me.tongfei's bar, in kB or MB with the speed, one at a time (files download one after another). */
    record Terminal(PrintStream out) implements DownloadProgress {
        @Override
        public void message(String line) {
            out.println(line);
        }

        @Override
        public Bar file(String name, long size, long done) {
            ProgressBar bar = new ProgressBarBuilder()
                    .setTaskName(name.length() > 40 ? "…" + name.substring(name.length() - 39) : name)
                    .setInitialMax(size)
                    .startsFrom(done, Duration.ZERO)
                    .setUnit(size < 10_000_000 ? "kB" : "MB", size < 10_000_000 ? 1000 : 1_000_000)
                    .showSpeed()
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setConsumer(new ConsoleProgressBarConsumer(out))
                    .setUpdateIntervalMillis(250)
                    .build();
            return new Bar() {
                @Override public void add(long bytes) { bar.stepBy(bytes); }
                @Override public void reset(long done) { bar.stepTo(done); }
                @Override public void close() { bar.close(); }
            };
        }
    }

    /** Plain lines: the start, every 15 seconds, the end. */
    record Lines(PrintStream out) implements DownloadProgress {
        private static final long EVERY_NANOS = Duration.ofSeconds(15).toNanos();

        @Override
        public void message(String line) {
            out.println(line);
        }

        @Override
        public Bar file(String name, long size, long done) {
            out.println("downloading " + name + " (" + size(size) + (done > 0 ? ", resuming at " + size(done) : "") + ")");
            return new Bar() {
                long now = done, printed = System.nanoTime();

                @Override
                public void add(long bytes) {
                    now += bytes;
                    if (System.nanoTime() - printed >= EVERY_NANOS) {
                        out.printf(Locale.ROOT, "  %s: %s of %s (%.0f%%)%n", name, size(now), size(size), 100.0 * now / Math.max(1, size));
                        printed = System.nanoTime();
                    }
                }

                @Override public void reset(long done) { now = done; }

                @Override
                public void close() {
                    out.println("  " + name + ": " + size(now) + (now == size ? ", done" : ", stopped"));
                }
            };
        }
    }
}
