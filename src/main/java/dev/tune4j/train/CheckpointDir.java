package dev.tune4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A run's checkpoints: folders {@code step-N} in one directory. A save writes the checkpoint into a
 * hidden temporary folder (every file forced to disk), forces the folder, renames it to
 * {@code step-N} and forces the directory, so a {@code step-N} folder is complete or absent at
 * whatever moment the process dies. Only then are older checkpoints deleted, keeping the newest
 * {@code keep} and the one of the best evaluation; a deletion renames first as well, so a
 * half-deleted folder never passes for a checkpoint. Leftovers of an interrupted save or deletion
 * are removed when the directory is opened. One process at a time may use a directory.
 */
public final class CheckpointDir {
    private static final Pattern NAME = Pattern.compile("step-(\\d+)");
    private static final Pattern LEFTOVER = Pattern.compile("\\.step-\\d+\\.(tmp|deleting)-[0-9a-f]+");

    private final Path dir;
    private final int keep;
    private final TrainCheckpoint.BeforeFile before;

    /** The checkpoints in {@code dir} (created when missing), keeping the newest {@code keep} (at least 1) and the best. */
    public CheckpointDir(Path dir, int keep) {
        this(dir, keep, name -> {});
    }

    CheckpointDir(Path dir, int keep, TrainCheckpoint.BeforeFile before) {
        if (keep < 1) throw new IllegalArgumentException("checkpoints to keep must be >= 1, got " + keep);
        this.dir = dir;
        this.keep = keep;
        this.before = before;
        try {
            Files.createDirectories(dir);
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(p -> LEFTOVER.matcher(p.getFileName().toString()).matches()).toList()) deleteTree(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use checkpoint folder " + dir + ": " + reason(e), e);
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * Saves {@code c} as {@code step-<c.state().step>} (replacing a folder of that name) and deletes
     * the checkpoints no longer kept. On failure nothing but the temporary folder is touched, and it
     * is removed.
     *
     * @return the checkpoint's folder
     * @throws UncheckedIOException naming the checkpoint, the cause and the newest checkpoint left intact
     */
    public Path save(TrainCheckpoint c) {
        Path target = dir.resolve("step-" + c.state().step);
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + hex());
        try {
            Files.createDirectory(tmp);
            c.write(tmp, before);
            force(tmp);
            Path old = Files.exists(target) ? setAside(target) : null; // a damaged one of the same step
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            force(dir);
            if (old != null) deleteTree(old);
        } catch (IOException | RuntimeException e) {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the folder is hidden and removed when the directory is next opened
            }
            List<Path> left = complete();
            String kept = left.isEmpty() ? "no earlier checkpoint exists" : "the previous checkpoint " + left.getFirst().getFileName() + " is intact";
            String why = e instanceof IOException io ? reason(io) : e.toString();
            throw new UncheckedIOException("cannot write checkpoint " + target + ": " + why + "; " + kept, e instanceof IOException io ? io : new IOException(e));
        }
        prune(c.state().bestStep);
        return target;
    }

    /** The newest {@code keep} checkpoints and the best evaluation's stay; the others go. */
    private void prune(int bestStep) {
        List<Path> all = complete();
        for (int i = keep; i < all.size(); i++) {
            Path p = all.get(i);
            if (step(p) == bestStep) continue;
            try {
                deleteTree(setAside(p));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete old checkpoint " + p + ": " + reason(e), e);
            }
        }
    }

    /** The folders named step-N, newest first (not verified: see {@link #newest}). */
    public List<Path> complete() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
                    .sorted(Comparator.comparingInt(CheckpointDir::step).reversed()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoint folder " + dir + ": " + reason(e), e);
        }
    }

    public record Loaded(Path dir, TrainCheckpoint checkpoint) {}

    /**
     * The newest checkpoint that passes its checks. A newer one that fails them (missing or
     * truncated files, a checksum mismatch) is renamed {@code step-N.invalid}, kept for
     * inspection but never tried again, with a warning naming the reason.
     */
    public Optional<Loaded> newest(Consumer<String> warn) {
        for (Path p : complete()) {
            try {
                return Optional.of(new Loaded(p, TrainCheckpoint.read(p)));
            } catch (IOException | RuntimeException e) {
                Path aside = p.resolveSibling(p.getFileName() + ".invalid");
                String where;
                try {
                    if (Files.exists(aside)) deleteTree(aside);
                    Files.move(p, aside, StandardCopyOption.ATOMIC_MOVE);
                    where = "set aside as " + aside.getFileName();
                } catch (IOException moveFailed) {
                    where = "left in place (" + reason(moveFailed) + ")";
                }
                warn.accept("checkpoint " + p + " is damaged: " + e.getMessage() + "; " + where + ", trying the previous one");
            }
        }
        return Optional.empty();
    }

    static int step(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    private Path setAside(Path p) throws IOException {
        Path aside = dir.resolve("." + p.getFileName() + ".deleting-" + hex());
        Files.move(p, aside, StandardCopyOption.ATOMIC_MOVE);
        return aside;
    }

    private static String hex() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }

    /** Forces a folder's entries (new files, renames) to disk; best effort where a platform cannot open folders. */
    private static void force(Path folder) {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the files themselves are on disk; only the entry's durability is left to the OS
        }
    }

    static String reason(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }
}
