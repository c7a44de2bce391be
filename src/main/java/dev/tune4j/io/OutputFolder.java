package dev.tune4j.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The check every command that writes a folder makes before it does any work: the folder is, or
 * can become, a writable folder. A file in its place, a file where one of its parents should be, or
 * a parent without write permission fails here with that reason, rather than as a bare path from
 * deep inside a writer after minutes of work.
 */
public final class OutputFolder {
    private OutputFolder() {}

    /**
     * @param what how the user named the folder, e.g. {@code --out} or {@code 'output'}
     * @throws IllegalArgumentException naming the folder and why it cannot be written
     */
    public static void requireWritable(Path dir, String what) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) throw new IllegalArgumentException(what + " " + dir + " exists and is not a folder");
            if (!Files.isWritable(abs)) throw new IllegalArgumentException(what + " " + dir + " is not writable (permission denied)");
            return;
        }
        Path parent = abs.getParent();
        while (parent != null && !Files.exists(parent)) parent = parent.getParent();
        if (parent == null) throw new IllegalArgumentException(what + " " + dir + " cannot be created: no existing parent folder");
        if (!Files.isDirectory(parent)) {
            throw new IllegalArgumentException(what + " " + dir + " cannot be created: " + parent + " is a file, not a folder");
        }
        if (!Files.isWritable(parent)) {
            throw new IllegalArgumentException(what + " " + dir + " cannot be created: " + parent + " is not writable (permission denied)");
        }
    }
}
