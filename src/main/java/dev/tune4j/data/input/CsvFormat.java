package dev.tune4j.data.input;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Reject;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * CSV and TSV with a header line (RFC 4180 quoting: fields in double quotes may hold the delimiter,
 * newlines and doubled quotes). Parsed here rather than with a library so that a bad record costs
 * only itself: a record with the wrong number of fields, stray characters after a closing quote or
 * invalid UTF-8 is rejected with its line, and a quote left open to the end of the file rejects the
 * line where it opened and parsing resumes on the line after it.
 */
final class CsvFormat {
    private CsvFormat() {}

    static void read(InputStream in, String file, char delimiter, RowSink sink) throws IOException {
        try (LineReader lines = new LineReader(in)) {
            new Parser(lines, file, delimiter, sink).run();
        }
    }

    private static final class Parser {
        final LineReader lines;
        final String file;
        final char delim;
        final RowSink sink;
        final ArrayDeque<LineReader.Line> pushedBack = new ArrayDeque<>();
        List<String> header;

        Parser(LineReader lines, String file, char delim, RowSink sink) {
            this.lines = lines;
            this.file = file;
            this.delim = delim;
            this.sink = sink;
        }

        LineReader.Line nextLine() throws IOException {
            return pushedBack.isEmpty() ? lines.next() : pushedBack.pollFirst();
        }

        void run() throws IOException {
            while (true) {
                LineReader.Line first = nextLine();
                if (first == null) return;
                if (first.text().isEmpty()) continue;
                List<LineReader.Line> used = new ArrayList<>();
                used.add(first);
                List<String> fields = new ArrayList<>();
                String error = parseRecord(used, fields);
                if (error != null && error.startsWith("unterminated")) {
                    // Resume right after the line where the quote opened: the lines it swallowed
                    // are most likely records of their own.
                    for (int i = used.size() - 1; i >= 1; i--) pushedBack.addFirst(used.get(i));
                    used = List.of(first);
                }
                Origin origin = new Origin(file, first.number());
                String raw = rawText(used);
                LineReader.Line bad = used.stream().filter(l -> !l.valid()).findFirst().orElse(null);
                if (bad != null) {
                    sink.reject(new Reject("invalid_utf8", file + ":" + bad.number() + ": invalid UTF-8 at byte offset " + bad.badByte(), origin, raw));
                    if (header == null) throw new IllegalArgumentException(file + ": the header line is not valid UTF-8");
                    continue;
                }
                if (error != null) {
                    if (header == null) throw new IllegalArgumentException(file + ":" + first.number() + ": cannot read the header: " + error);
                    sink.reject(new Reject("malformed", error, origin, raw));
                    continue;
                }
                if (header == null) {
                    header = header(fields, origin);
                    continue;
                }
                if (fields.size() != header.size()) {
                    sink.reject(new Reject("malformed", "expected " + header.size() + " fields (as in the header), found " + fields.size(), origin, raw));
                    continue;
                }
                ObjectNode obj = JsonNodeFactory.instance.objectNode();
                for (int i = 0; i < fields.size(); i++) obj.put(header.get(i), fields.get(i));
                sink.row(new RawRow(origin, obj));
            }
        }

        private List<String> header(List<String> fields, Origin origin) {
            List<String> names = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String f : fields) {
                String name = f.strip();
                if (name.isEmpty()) throw new IllegalArgumentException(origin + ": the header has an empty column name");
                if (!seen.add(name)) throw new IllegalArgumentException(origin + ": the header names column '" + name + "' twice");
                names.add(name);
            }
            return names;
        }

        /** Parses one record starting with used.get(0), appending continuation lines to used. Returns an error or null. */
        private String parseRecord(List<LineReader.Line> used, List<String> fields) throws IOException {
            StringBuilder field = new StringBuilder();
            boolean inQuotes = false, afterQuote = false, fieldStarted = false;
            String error = null;
            LineReader.Line line = used.get(0);
            while (true) {
                String s = line.text();
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (inQuotes) {
                        if (c == '"') {
                            if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
                                field.append('"');
                                i++;
                            } else {
                                inQuotes = false;
                                afterQuote = true;
                            }
                        } else {
                            field.append(c);
                        }
                    } else if (c == delim) {
                        fields.add(field.toString());
                        field.setLength(0);
                        afterQuote = false;
                        fieldStarted = false;
                    } else if (afterQuote) {
                        if (error == null) error = "unexpected character '" + c + "' after a closing quote (line " + line.number() + ", column " + (i + 1) + ")";
                        field.append(c);
                    } else if (c == '"' && !fieldStarted) {
                        inQuotes = true;
                        fieldStarted = true;
                    } else {
                        field.append(c);                 // a quote inside an unquoted field is kept as text
                        fieldStarted = true;
                    }
                }
                if (!inQuotes) break;
                LineReader.Line next = nextLine();
                if (next == null) {
                    return "unterminated quoted field: the quote opened on line " + used.get(0).number() + " is never closed";
                }
                used.add(next);
                field.append('\n');
                line = next;
            }
            fields.add(field.toString());
            return error;
        }

        private static String rawText(List<LineReader.Line> used) {
            StringBuilder sb = new StringBuilder();
            for (LineReader.Line l : used) {
                if (!sb.isEmpty()) sb.append('\n');
                sb.append(l.text());
            }
            return sb.toString();
        }
    }
}
