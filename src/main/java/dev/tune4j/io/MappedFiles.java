package dev.tune4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The files this process has memory-mapped through an open checkpoint. Writing over such a file
 * in place would make the mapped pages vanish under readers (SIGBUS on Linux kills the JVM), so
 * writers consult this registry and refuse.
 */
public final class MappedFiles {
    private static final Map<Path, Integer> OPEN = new HashMap<>();

    private MappedFiles() {}

    /** A stable identity for a path: its real path when it exists, else the normalised absolute path. */
    static Path key(Path file) {
        try {
            if (Files.exists(file)) return file.toRealPath();
        } catch (IOException ignored) {
            // fall through to the lexical form
        }
        return file.toAbsolutePath().normalize();
    }

    static synchronized Path acquire(Path file) {
        Path k = key(file);
        OPEN.merge(k, 1, Integer::sum);
        return k;
    }

    static synchronized void release(Path key) {
        OPEN.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }

    /** True while some open checkpoint of this process maps {@code file}. */
    public static synchronized boolean isMapped(Path file) {
        return OPEN.containsKey(key(file));
    }
}
