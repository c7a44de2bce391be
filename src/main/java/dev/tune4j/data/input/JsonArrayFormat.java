package dev.tune4j.data.input;

import dev.tune4j.data.Origin;
import dev.tune4j.data.Reject;

import java.io.IOException;
import java.io.InputStream;

/**
 * A JSON array of objects, streamed element by element. A light scanner finds where each top-level
 * element starts and ends (tracking strings and bracket depth), and each element is parsed on its
 * own, so a syntax error inside one element rejects that element only. An unterminated string or
 * bracket can still swallow the rest of the file; that is reported as one reject with its line.
 */
final class JsonArrayFormat {
    private JsonArrayFormat() {}

    static void read(InputStream in, String file, RowSink sink) throws IOException {
        try (LineReader lines = new LineReader(in)) {
            new Scanner(file, sink).run(lines);
        }
    }

    private static final class Scanner {
        final String file;
        final RowSink sink;
        boolean opened, closed;
        int depth;                  // bracket depth inside the current element
        boolean inString, escape;
        StringBuilder element;      // null when between elements
        long elementLine;
        long badByte = -1, badLine;

        Scanner(String file, RowSink sink) {
            this.file = file;
            this.sink = sink;
        }

        void run(LineReader lines) throws IOException {
            for (LineReader.Line line; (line = lines.next()) != null; ) {
                if (!line.valid() && element != null && badByte < 0) {
                    badByte = line.badByte();
                    badLine = line.number();
                }
                String s = line.text();
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (closed) {
                        if (!Character.isWhitespace(c)) {
                            sink.reject(new Reject("malformed", "unexpected content after the closing ']' of the array", new Origin(file, line.number()), s));
                            return;
                        }
                        continue;
                    }
                    if (!opened) {
                        if (Character.isWhitespace(c)) continue;
                        if (c != '[') {
                            sink.reject(new Reject("malformed", "expected a JSON array starting with '[', found '" + c + "'", new Origin(file, line.number()), s));
                            return;
                        }
                        opened = true;
                        continue;
                    }
                    if (element == null) {
                        if (Character.isWhitespace(c) || c == ',') continue;
                        if (c == ']') {
                            closed = true;
                            continue;
                        }
                        element = new StringBuilder();
                        elementLine = line.number();
                        if (!line.valid()) {
                            badByte = line.badByte();
                            badLine = line.number();
                        }
                        depth = 0;
                        inString = false;
                        escape = false;
                    }
                    if (inString) {
                        element.append(c);
                        if (escape) escape = false;
                        else if (c == '\\') escape = true;
                        else if (c == '"') inString = false;
                        continue;
                    }
                    if (depth == 0 && (c == ',' || c == ']')) {     // end of a scalar element
                        finish();
                        if (c == ']') closed = true;
                        continue;
                    }
                    element.append(c);
                    if (c == '"') inString = true;
                    else if (c == '{' || c == '[') depth++;
                    else if (c == '}' || c == ']') {
                        depth--;
                        if (depth <= 0) finish();
                    }
                }
                if (element != null) element.append('\n');
            }
            if (element != null && !element.toString().isBlank()) {
                sink.reject(new Reject("malformed", "unterminated JSON element starting at line " + elementLine
                        + " (an unclosed string or bracket runs to the end of the file)", new Origin(file, elementLine), element.toString()));
            } else if (opened && !closed) {
                sink.reject(new Reject("malformed", "the JSON array is not closed with ']'", new Origin(file, elementLine), ""));
            } else if (!opened) {
                // an empty file holds no rows; nothing to report
            }
        }

        private void finish() {
            String text = element.toString();
            Origin origin = new Origin(file, elementLine);
            if (badByte >= 0) {
                sink.reject(new Reject("invalid_utf8", file + ":" + badLine + ": invalid UTF-8 at byte offset " + badByte, origin, text));
            } else {
                JsonRows.parse(text, origin, elementLine, sink);
            }
            element = null;
            badByte = -1;
        }
    }
}
