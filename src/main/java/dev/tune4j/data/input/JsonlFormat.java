package dev.tune4j.data.input;

import dev.tune4j.data.Origin;

import java.io.IOException;
import java.io.InputStream;

/** JSON Lines: one object per line; blank lines are skipped, every other bad line is one reject. */
final class JsonlFormat {
    private JsonlFormat() {}

    static void read(InputStream in, String file, RowSink sink) throws IOException {
        try (LineReader lines = new LineReader(in)) {
            for (LineReader.Line line; (line = lines.next()) != null; ) {
                if (line.text().isBlank()) continue;
                Origin origin = new Origin(file, line.number());
                if (!line.valid()) {
                    sink.reject(JsonRows.invalidUtf8(line, origin, line.text()));
                    continue;
                }
                JsonRows.parse(line.text(), origin, line.number(), sink);
            }
        }
    }
}
