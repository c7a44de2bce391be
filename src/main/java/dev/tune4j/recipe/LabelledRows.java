package dev.tune4j.recipe;

import dev.tune4j.io.IoErrors;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Rows to predict or score, read from JSON Lines: a text, an optional label and an optional id per
 * line, one result per line in the same order (so a bad line is an error naming it, never skipped).
 */
public record LabelledRows(List<String> texts, List<String> labels, List<Object> ids) {

    public static LabelledRows of(List<String> texts) {
        return new LabelledRows(texts, null, Collections.nCopies(texts.size(), null));
    }

    /** @param labelField null: no labels are read */
    public static LabelledRows read(Path file, String textField, String labelField) {
        List<String> texts = new ArrayList<>(), labels = labelField == null ? null : new ArrayList<>();
        List<Object> ids = new ArrayList<>();
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + " is a folder, not a file of JSON lines");
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                JsonNode row;
                try {
                    row = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(file + ":" + n + ": not valid JSON (expected one object per line)");
                }
                if (row == null || !row.isObject()) throw new IllegalArgumentException(file + ":" + n + ": expected a JSON object per line");
                texts.add(field(row, textField, file, n));
                if (labels != null) labels.add(field(row, labelField, file, n));
                JsonNode id = row.get("id");
                ids.add(id == null || id.isNull() ? null : id.isNumber() ? id.numberValue() : id.asText());
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + " does not exist");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException(file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + IoErrors.describe(e));
        }
        if (texts.isEmpty()) throw new IllegalArgumentException(file + " holds no rows");
        return new LabelledRows(texts, labels, ids);
    }

    private static String field(JsonNode row, String name, Path file, int line) {
        JsonNode v = row.get(name);
        if (v == null || v.isNull()) throw new IllegalArgumentException(file + ":" + line + ": no field '" + name + "'");
        if (!v.isValueNode()) throw new IllegalArgumentException(file + ":" + line + ": field '" + name + "' must be a string, got " + v.getNodeType().toString().toLowerCase());
        return v.asText();
    }
}
