package dev.tune4j.data.input;

import dev.tune4j.io.IoErrors;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Reject;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Finds the files behind the paths a user gave (folders are walked in sorted order, hidden files
 * skipped), picks each one's format, and streams its rows into a {@link RowSink}. A file that cannot
 * be read at all becomes one {@code unreadable_file} reject; the other files still go through.
 */
public final class Inputs {
    private Inputs() {}

    /** One input file and how it will be read; {@code skipped} explains why a folder entry is left out. */
    public record InputFile(Path path, String name, InputFormat format, String skipped) {}

    /**
     * @param forced a format for every file, or null to go by extension (unknown extensions: plain
     *               text for files named directly, skipped inside folders)
     */
    public static List<InputFile> expand(List<Path> paths, InputFormat forced) {
        return expand(paths, forced, null);
    }

    /**
     * @param output the folder the prepared data goes to, or null: files under it are skipped when
     *               it lies inside an input folder, so a second run does not read the first one's output
     */
    public static List<InputFile> expand(List<Path> paths, InputFormat forced, Path output) {
        Path out = output == null ? null : output.toAbsolutePath().normalize();
        List<InputFile> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                List<Path> inside;
                try (Stream<Path> walk = Files.walk(p)) {
                    inside = walk.filter(Files::isRegularFile)
                            .filter(f -> !isHidden(p.relativize(f)))
                            .sorted()
                            .toList();
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot list folder " + p + ": " + IoErrors.describe(e), e);
                } catch (UncheckedIOException e) {      // a subfolder that cannot be read, met during the walk
                    throw new IllegalArgumentException("cannot list folder " + p + ": " + IoErrors.describe(e), e);
                }
                for (Path f : inside) {
                    if (out != null && f.toAbsolutePath().normalize().startsWith(out)) {
                        files.add(new InputFile(f, f.toString(), null, "inside the output folder"));
                        continue;
                    }
                    InputFormat fmt = forced != null ? forced : InputFormat.ofFileName(f.getFileName().toString());
                    files.add(new InputFile(f, f.toString(), fmt, fmt == null ? "unknown extension" : null));
                }
            } else if (Files.isRegularFile(p)) {
                InputFormat fmt = forced != null ? forced : InputFormat.ofFileName(p.getFileName().toString());
                files.add(new InputFile(p, p.toString(), fmt == null ? InputFormat.TEXT : fmt, null));
            } else {
                throw new IllegalArgumentException("input not found: " + p);
            }
        }
        return files;
    }

    private static boolean isHidden(Path relative) {
        for (Path part : relative) if (part.toString().startsWith(".")) return true;
        return false;
    }

    /** Reads one file into the sink. Returns null, or why the whole file could not be read. */
    public static String read(InputFile f, TextUnit textUnit, RowSink sink) {
        try {
            switch (f.format()) {
                case PARQUET -> ParquetFormat.read(f.path(), f.name(), sink);
                case JSONL -> { try (InputStream in = open(f.path())) { JsonlFormat.read(in, f.name(), sink); } }
                case JSON -> {
                    boolean array;
                    try (InputStream in = open(f.path())) { array = firstNonBlank(in) == '['; }
                    try (InputStream in = open(f.path())) {
                        if (array) JsonArrayFormat.read(in, f.name(), sink);
                        else JsonlFormat.read(in, f.name(), sink);
                    }
                }
                case CSV -> { try (InputStream in = open(f.path())) { CsvFormat.read(in, f.name(), ',', sink); } }
                case TSV -> { try (InputStream in = open(f.path())) { CsvFormat.read(in, f.name(), '\t', sink); } }
                case TEXT -> { try (InputStream in = open(f.path())) { TextFormat.read(in, f.name(), textUnit, sink); } }
            }
            return null;
        } catch (IOException | UncheckedIOException | SQLException | IllegalArgumentException e) {
            String why = switch (e) {
                case IOException io -> IoErrors.describe(io);
                case UncheckedIOException u -> IoErrors.describe(u);
                // DuckDB's messages start with its error class and go on to quote the SQL it ran: the reason is in between
                default -> e.getMessage() == null ? "unreadable"
                        : e.getMessage().strip().lines().findFirst().orElse("unreadable").replaceFirst("^[A-Z][A-Za-z ]* Error: ", "");
            };
            sink.reject(new Reject("unreadable_file", "cannot read " + f.name() + " as " + f.format().name().toLowerCase() + ": " + why,
                    new Origin(f.name(), 0), null));
            return why;
        }
    }

    private static InputStream open(Path p) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
        if (p.getFileName().toString().toLowerCase().endsWith(".gz")) in = new GZIPInputStream(in, 1 << 16);
        return in;
    }

    private static int firstNonBlank(InputStream in) throws IOException {
        int b, n = 0;
        while ((b = in.read()) >= 0) {
            if (n++ < 3 && (b == 0xEF || b == 0xBB || b == 0xBF)) continue;   // byte order mark
            if (!Character.isWhitespace(b)) return b;
        }
        return -1;
    }
}
