package dev.tune4j.io;

import java.nio.file.Path;

/**
 * A file that does not follow its format (truncated, corrupt, inconsistent header). The message
 * always names the file and, where one is involved, the tensor or entry, so a bad checkpoint is
 * reported where it is opened instead of failing deep inside a kernel.
 */
public class FileFormatException extends IllegalArgumentException {
    private final String source;
    private final String entry;

    public FileFormatException(String source, String entry, String message) {
        this(source, entry, message, null);
    }

    public FileFormatException(String source, String entry, String message, Throwable cause) {
        super(source + (entry == null ? "" : ": '" + entry + "'") + ": " + message, cause);
        this.source = source;
        this.entry = entry;
    }

    public FileFormatException(Path file, String entry, String message) {
        this(String.valueOf(file), entry, message, null);
    }

    public FileFormatException(Path file, String entry, String message, Throwable cause) {
        this(String.valueOf(file), entry, message, cause);
    }

    /** The file (or stream label) that is malformed. */
    public String source() { return source; }

    /** The tensor or entry concerned, or null when the problem is file-wide. */
    public String entry() { return entry; }
}
