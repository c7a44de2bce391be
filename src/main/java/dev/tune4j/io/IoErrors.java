package dev.tune4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.zip.ZipException;

/**
 * An I/O failure in words: the file and the reason, e.g. {@code /data/x.json: permission denied}.
 * The JDK's own messages are often the bare path ({@link AccessDeniedException}) or carry the
 * exception's class name ({@link UncheckedIOException}), neither of which tells a user what went wrong.
 */
public final class IoErrors {
    /** What GZIPInputStream says (in an EOFException) when a .gz file is cut short. */
    private static final String TRUNCATED_GZIP = "Unexpected end of ZLIB input stream";

    private IoErrors() {}

    /** The file and what went wrong with it. */
    public static String describe(IOException e) {
        if (TRUNCATED_GZIP.equals(e.getMessage())) return "truncated gzip data (the compressed stream ends early)";
        return switch (e) {
            case NoSuchFileException f -> file(f) + "does not exist";
            case AccessDeniedException f -> file(f) + "permission denied";
            case FileAlreadyExistsException f -> file(f) + "already exists";
            case DirectoryNotEmptyException f -> file(f) + "the folder is not empty";
            case NotDirectoryException f -> file(f) + "not a folder";
            case FileSystemException f -> file(f) + (f.getReason() == null ? name(f) : lowerFirst(f.getReason()));
            case CharacterCodingException c -> "not UTF-8 text";
            case EOFException eof -> eof.getMessage() == null ? "the file ends too early (truncated?)" : eof.getMessage();
            case ZipException z -> "not valid gzip data (" + lowerFirst(String.valueOf(z.getMessage())) + ")";
            default -> e.getMessage() == null ? name(e) : e.getMessage();
        };
    }

    /** {@link #describe} of the cause, after the wrapper's own words when it has any. */
    public static String describe(UncheckedIOException e) {
        String own = e.getMessage();
        String cause = describe(e.getCause());
        return own == null || own.equals(e.getCause().toString()) ? cause : own.contains(cause) ? own : own + ": " + cause;
    }

    private static String file(FileSystemException f) {
        String s = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
        return s.isEmpty() ? "" : s + ": ";
    }

    private static String name(Exception e) {
        return lowerFirst(e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2"));
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
