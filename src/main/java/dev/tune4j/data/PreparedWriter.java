package dev.tune4j.data;

import dev.tune4j.io.IoErrors;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.report.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a prepared folder (layout and schema in docs/data-format.md):
 * {@code train.jsonl}, {@code validation.jsonl}, {@code test.jsonl}, {@code labels.json}
 * (classification), {@code rejects.jsonl}, {@code leakage.jsonl}, {@code dataset.json}, {@code data-report.json} and
 * {@code data-report.html}. All text is UTF-8, one JSON object per line, rows in input order.
 */
public final class PreparedWriter {
    private PreparedWriter() {}

    public static final String MANIFEST = "dataset.json";

    /** Writes everything and returns the report (as written to data-report.json). */
    public static Map<String, Object> write(PrepareResult res, PrepareConfig cfg) {
        Path out = cfg.out;
        try {
            Files.createDirectories(out);
            List<BufferedWriter> splits = new ArrayList<>();
            for (String name : SplitSpec.NAMES) splits.add(Files.newBufferedWriter(out.resolve(name + ".jsonl"), StandardCharsets.UTF_8));
            try {
                for (int i = 0; i < res.kept.size(); i++) {
                    BufferedWriter w = splits.get(res.split[i]);
                    w.write(Json.line(res.kept.get(i).toJson()));
                    w.write('\n');
                }
            } finally {
                for (BufferedWriter w : splits) w.close();
            }
            try (BufferedWriter w = Files.newBufferedWriter(out.resolve("rejects.jsonl"), StandardCharsets.UTF_8)) {
                for (Reject r : res.rejects) {
                    w.write(Json.line(rejectJson(r)));
                    w.write('\n');
                }
            }
            Path leakage = out.resolve("leakage.jsonl");
            if (res.leakageChecked) {
                try (BufferedWriter w = Files.newBufferedWriter(leakage, StandardCharsets.UTF_8)) {
                    for (PrepareResult.Leak l : res.leaks) {
                        w.write(Json.line(DataReport.leak(l, Integer.MAX_VALUE)));
                        w.write('\n');
                    }
                }
            } else {
                Files.deleteIfExists(leakage);
            }
            Path labels = out.resolve("labels.json");
            if (res.mapping.schema == Schema.CLASSIFICATION) {
                Map<String, Integer> counts = new TreeMap<>();
                for (Example e : res.kept) counts.merge(e.label, 1, Integer::sum);
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("labels", new ArrayList<>(counts.keySet()));
                l.put("counts", counts);
                Files.writeString(out.resolve("labels.json"), Json.pretty(l) + "\n");
            } else {
                Files.deleteIfExists(labels);
            }
            Map<String, Object> report = DataReport.build(res, cfg);
            Files.writeString(out.resolve("data-report.json"), Json.pretty(report) + "\n");
            Files.writeString(out.resolve("data-report.html"), HtmlReport.render(report));
            Files.writeString(out.resolve(MANIFEST), Json.pretty(manifest(res)) + "\n");
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the prepared data to " + out + ": " + IoErrors.describe(e), e);
        }
    }

    /** A reject as {@code rejects.jsonl} holds it (also written by the audit). */
    public static ObjectNode rejectJson(Reject r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("reason", r.reason());
        o.put("detail", r.detail());
        o.put("source", r.origin().file());
        o.put("line", r.origin().line());
        if (r.keptOrigin() != null) {
            o.put("kept_source", r.keptOrigin().file());
            o.put("kept_line", r.keptOrigin().line());
        }
        if (!Double.isNaN(r.similarity())) o.put("similarity", Math.round(r.similarity() * 1e4) / 1e4);
        if (r.content() instanceof String s) o.put("raw", s);
        else if (r.content() != null) o.putPOJO("row", r.content());
        return o;
    }

    private static Map<String, Object> manifest(PrepareResult res) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "tune4j-prepared");
        m.put("format_version", DataReport.FORMAT_VERSION);
        m.put("schema", res.mapping.schema.id());
        m.put("fields", res.mapping.schema.fields);
        Map<String, Object> splits = new LinkedHashMap<>();
        for (int s = 0; s < 3; s++) {
            String name = SplitSpec.NAMES.get(s);
            splits.put(name, Map.of("file", name + ".jsonl", "rows", res.splitSize(s)));
        }
        m.put("splits", splits);
        if (res.mapping.schema == Schema.CLASSIFICATION) m.put("labels", "labels.json");
        m.put("rejects", "rejects.jsonl");
        if (res.leakageChecked) m.put("leakage", "leakage.jsonl");
        m.put("report", "data-report.json");
        return m;
    }
}
