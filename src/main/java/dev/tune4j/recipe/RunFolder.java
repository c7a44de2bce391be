package dev.tune4j.recipe;

import dev.tune4j.io.IoErrors;
import dev.tune4j.io.OutputFolder;
import dev.tune4j.report.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run's folder: {@code config.yaml} (the resolved recipe), {@code run.json} (what predicting with
 * the result needs: base model, method, labels, cleaning), {@code metrics.jsonl} (a line per logged
 * update and per evaluation, flushed as it goes), {@code results.json}, the data report, the model
 * or adapter, {@code report.html}, and {@code checkpoints/} (the training state, for
 * {@code --resume}). Whole files are written to a temporary name and moved into place, so a reader
 * never sees half a file.
 */
public final class RunFolder implements AutoCloseable {
    public static final String CONFIG = "config.yaml", RUN = "run.json", METRICS = "metrics.jsonl", RESULTS = "results.json";

    private final Path dir;
    /** The folder did not exist, or was empty, before this run. */
    private final boolean created;
    private BufferedWriter metrics;

    private RunFolder(Path dir, boolean created) {
        this.dir = dir;
        this.created = created;
    }

    /** Creates the folder; an existing non-empty one is refused unless {@code overwrite}, which empties it first. */
    public static RunFolder create(Path dir, boolean overwrite) {
        OutputFolder.requireWritable(dir, "output");
        try {
            boolean created = !Files.exists(dir) || isEmpty(dir);
            if (!created) {
                if (!overwrite) {
                    throw new IllegalArgumentException("output folder " + dir + " already exists and is not empty; choose another 'output' or pass --overwrite");
                }
                if (!Files.exists(dir.resolve(CONFIG)) && !Files.exists(dir.resolve(RUN))) {
                    throw new IllegalArgumentException("refusing to overwrite " + dir + ": it is not a tune4j run folder (no " + CONFIG + ")");
                }
                deleteContents(dir);
            }
            Files.createDirectories(dir);
            return new RunFolder(dir, created);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create output folder " + dir + ": " + IoErrors.describe(e));
        }
    }

    /**
     * Removes the folder if this run created it and logged nothing to it yet: a run that fails on
     * its input, before its first evaluation, leaves nothing behind.
     */
    public void discardIfUnused() {
        if (!created || metrics != null) return;
        try {
            deleteContents(dir);
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // what is left is a half-written run folder, which the next run with this output refuses or overwrites
        }
    }

    /** An existing run folder, to continue a run in: its files stay. */
    public static RunFolder existing(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("run folder " + dir + " does not exist; nothing to resume");
        if (!Files.exists(dir.resolve(CONFIG))) throw new IllegalArgumentException(dir + " is not a tune4j run folder (no " + CONFIG + "); nothing to resume");
        if (!Files.isWritable(dir)) throw new IllegalArgumentException("run folder " + dir + " is not writable");
        return new RunFolder(dir, false);
    }

    public Path dir() {
        return dir;
    }

    public Path resolve(String name) {
        return dir.resolve(name);
    }

    public void writeText(String name, String text) {
        Path target = dir.resolve(name), tmp = dir.resolve("." + name + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + IoErrors.describe(e), e);
        }
    }

    public void writeJson(String name, Object value) {
        writeText(name, Json.pretty(value) + "\n");
    }

    /** Appends one line to metrics.jsonl and flushes it, so a killed run keeps its history. */
    public synchronized void logMetrics(Map<String, Object> line) {
        try {
            if (metrics == null) {
                metrics = Files.newBufferedWriter(dir.resolve(METRICS), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            metrics.write(Json.line(line));
            metrics.write('\n');
            metrics.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(METRICS) + ": " + IoErrors.describe(e), e);
        }
    }

    /** The length of metrics.jsonl so far, every line flushed (a checkpoint records it). */
    public synchronized long metricsBytes() {
        try {
            if (metrics != null) metrics.flush();
            Path f = dir.resolve(METRICS);
            return Files.exists(f) ? Files.size(f) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(METRICS) + ": " + IoErrors.describe(e), e);
        }
    }

    /** Cuts metrics.jsonl back to {@code bytes} (what it held at a checkpoint), so that replayed updates do not log twice. */
    public synchronized void truncateMetrics(long bytes) {
        Path f = dir.resolve(METRICS);
        try {
            if (metrics != null) {
                metrics.close();
                metrics = null;
            }
            if (!Files.exists(f)) return;
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                if (ch.size() > bytes) ch.truncate(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot truncate " + f + ": " + IoErrors.describe(e), e);
        }
    }

    @Override
    public void close() {
        try {
            if (metrics != null) metrics.close();
        } catch (IOException ignored) {
            // nothing left to save: every line was flushed when it was written
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteContents(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        }
    }
}
