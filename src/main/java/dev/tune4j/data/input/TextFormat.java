package dev.tune4j.data.input;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Reject;

import java.io.IOException;
import java.io.InputStream;

/** Plain text as rows of one {@code text} field: one per line, per paragraph (blank-line separated) or per file. */
final class TextFormat {
    private TextFormat() {}

    static void read(InputStream in, String file, TextUnit unit, RowSink sink) throws IOException {
        try (LineReader lines = new LineReader(in)) {
            StringBuilder sb = new StringBuilder();
            long start = 0, badByte = -1, badLine = 0;
            for (LineReader.Line line; (line = lines.next()) != null; ) {
                boolean blank = line.text().isBlank();
                if (unit == TextUnit.LINE) {
                    if (!blank) emit(file, line.number(), line.text(), line.valid() ? -1 : line.badByte(), line.number(), sink);
                    continue;
                }
                if (unit == TextUnit.PARAGRAPH && blank) {
                    if (!sb.isEmpty()) emit(file, start, sb.toString(), badByte, badLine, sink);
                    sb.setLength(0);
                    badByte = -1;
                    continue;
                }
                if (sb.isEmpty()) start = line.number();
                else sb.append('\n');
                sb.append(line.text());
                if (!line.valid() && badByte < 0) {
                    badByte = line.badByte();
                    badLine = line.number();
                }
            }
            if (!sb.isEmpty() && !sb.toString().isBlank()) emit(file, start, sb.toString(), badByte, badLine, sink);
        }
    }

    private static void emit(String file, long line, String text, long badByte, long badLine, RowSink sink) {
        Origin origin = new Origin(file, line);
        if (badByte >= 0) {
            sink.reject(new Reject("invalid_utf8", file + ":" + badLine + ": invalid UTF-8 at byte offset " + badByte, origin, text));
            return;
        }
        ObjectNode obj = JsonNodeFactory.instance.objectNode();
        obj.put("text", text);
        sink.row(new RawRow(origin, obj));
    }
}
