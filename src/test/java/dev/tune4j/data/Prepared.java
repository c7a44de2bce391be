package dev.tune4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helper: reads a prepared folder back, as training would. */
final class Prepared {
    private Prepared() {}

    static List<JsonNode> split(Path dir, String name) {
        return jsonl(dir.resolve(name + ".jsonl"));
    }

    static List<JsonNode> jsonl(Path file) {
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(file)) if (!line.isBlank()) out.add(Json.MAPPER.readTree(line));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(Path file) {
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> texts(List<JsonNode> rows) {
        return rows.stream().map(r -> r.get("text").asText()).toList();
    }
}
