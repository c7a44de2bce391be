package dev.tune4j.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a training run leaves in its folder, as the report reads it. Every file may be missing (a run
 * that crashed still deserves a report of what it logged); a file that is present but malformed is an
 * error naming the file and line.
 *
 * @param config  {@code config.yaml} verbatim, or null
 * @param train   {@code metrics.jsonl} rows of type {@code train}, in file order
 * @param evals   {@code metrics.jsonl} rows of type {@code eval} on the validation split, in file order
 * @param results {@code results.json}, or null when the run did not finish
 * @param dataReport whether {@code data-report.html} sits beside them
 */
record RunFiles(String config, List<JsonNode> train, List<JsonNode> evals, JsonNode results, boolean dataReport) {

    static RunFiles read(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a run folder (no such directory)");
        Path config = dir.resolve("config.yaml"), metrics = dir.resolve("metrics.jsonl"), results = dir.resolve("results.json");
        List<JsonNode> train = new ArrayList<>(), evals = new ArrayList<>();
        if (Files.exists(metrics)) {
            List<String> lines = readString(metrics).lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                JsonNode row = parse(metrics + ":" + (i + 1), lines.get(i));
                String type = row.path("type").asText();
                // An eval row without a split is the validation split: the test split is scored once, in results.json.
                if (type.equals("train")) train.add(row);
                else if (type.equals("eval") && row.path("split").asText("validation").equals("validation")) evals.add(row);
            }
        }
        return new RunFiles(
                Files.exists(config) ? readString(config) : null,
                train, evals,
                Files.exists(results) ? parse(results.toString(), readString(results)) : null,
                Files.exists(dir.resolve("data-report.html")));
    }

    private static JsonNode parse(String where, String json) {
        try {
            JsonNode node = Json.MAPPER.readTree(json);
            if (node == null || !node.isObject()) throw new IllegalArgumentException(where + ": not a JSON object");
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
