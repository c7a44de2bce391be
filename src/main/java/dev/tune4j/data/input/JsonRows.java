package dev.tune4j.data.input;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Reject;
import dev.tune4j.report.Json;

import java.io.IOException;

/** Parses one JSON record into a row, or explains (file, line, column) why it is not one. */
final class JsonRows {
    private static final ObjectReader READER = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonRows() {}

    /**
     * @param firstLine the file line on which {@code text} starts (Jackson counts from 1 inside it)
     */
    static void parse(String text, Origin origin, long firstLine, RowSink sink) {
        JsonNode node;
        try {
            node = READER.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = loc == null ? "" : " (line " + (firstLine + loc.getLineNr() - 1) + ", column " + loc.getColumnNr() + ")";
            sink.reject(new Reject("malformed", "invalid JSON" + where + ": " + e.getOriginalMessage(), origin, text));
            return;
        } catch (IOException e) {
            sink.reject(new Reject("malformed", "invalid JSON: " + e.getMessage(), origin, text));
            return;
        }
        if (node == null || node.isMissingNode()) return;          // blank
        if (!(node instanceof ObjectNode obj)) {
            sink.reject(new Reject("malformed", "expected a JSON object, found " + node.getNodeType().name().toLowerCase(), origin, text));
            return;
        }
        sink.row(new RawRow(origin, obj));
    }

    static Reject invalidUtf8(LineReader.Line line, Origin origin, String text) {
        return new Reject("invalid_utf8", origin.file() + ":" + line.number() + ": invalid UTF-8 at byte offset " + line.badByte(), origin, text);
    }
}
