package dev.tune4j.audit;

import java.util.function.Function;
import dev.tune4j.data.Schema;
import dev.tune4j.data.Example;
import dev.tune4j.data.PreparedWriter;
import dev.tune4j.data.Reject;
import dev.tune4j.io.IoErrors;
import dev.tune4j.report.Json;
import dev.tune4j.train.ClassificationMetrics;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * An audit's folder: {@code label-issues.jsonl} (label audit: the flagged rows, most suspicious
 * first) or {@code response-scores.jsonl} (response audit: every row's scores and reasons),
 * {@code audit-report.json} (counts, thresholds, the confident joint or the metrics' spread and
 * tails with examples), {@code report.html} (the same as a page); with drop also
 * {@code rejects.jsonl} (the flagged rows with their reason, as {@code data prepare} writes
 * rejects) and {@code kept.jsonl} (the other rows, in the prepared form training reads).
 */
public final class AuditOutput {
    private AuditOutput() {}

    public static final String LABEL_ISSUES = "label-issues.jsonl", RESPONSE_SCORES = "response-scores.jsonl", REPORT = "audit-report.json",
            HTML = "report.html", REJECTS = "rejects.jsonl", KEPT = "kept.jsonl";
    /** Characters of a text shown in a record or on the page. */
    static final int TEXT_START = 200;
    /** Rows shown with their text per table of the report. */
    static final int EXAMPLES = 50, TAIL = 10;

    /** The row's own {@code id} field when it has one, else its source file and line. */
    public static Object rowId(Example e) {
        Object id = e.meta.get("id");
        return id != null ? id : e.origin.toString();
    }

    /**
     * Writes a label audit's folder and returns its report.
     *
     * @param context what the caller adds to the report (model, data, timings)
     */
    public static Map<String, Object> labels(LabelAudit.Result r, Path dir, boolean drop, Map<String, Object> context) {
        List<String> names = r.labels();
        List<Map<String, Object>> issues = new ArrayList<>();
        for (ConfidentLearning.Issue i : r.issues()) {
            Example e = r.rows().get(i.index());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", rowId(e));
            m.put("given_label", names.get(i.given()));
            m.put("suggested_label", names.get(i.suggested()));
            m.put("score", round(i.selfConfidence()));
            m.put("text", start(e.texts[0]));
            issues.add(m);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("kind", "label_audit");
        report.putAll(context);
        report.put("method", r.method().name().toLowerCase());
        report.put("folds", r.folds());
        report.put("seed", r.seed());
        if (!r.fit().isEmpty()) report.put("fold_model", r.fit());
        report.put("rows", r.rows().size());
        report.put("labels", names);
        Map<String, Object> counts = new LinkedHashMap<>(), thresholds = new LinkedHashMap<>(), joint = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            long n = 0;
            for (int y : r.given()) if (y == i) n++;
            counts.put(names.get(i), n);
            thresholds.put(names.get(i), number(r.found().thresholds()[i]));
            Map<String, Object> row = new LinkedHashMap<>();
            for (int j = 0; j < names.size(); j++) row.put(names.get(j), r.found().joint()[i][j]);
            joint.put(names.get(i), row);
        }
        report.put("class_counts", counts);
        report.put("thresholds", thresholds);
        report.put("confident_joint", joint);
        ClassificationMetrics m = r.heldOut();
        Map<String, Object> held = new LinkedHashMap<>();
        held.put("accuracy", round(m.accuracy()));
        held.put("macro_f1", round(m.macroF1()));
        report.put("held_out", held);
        report.put("issues", issues.size());
        report.put("issue_pairs", pairs(r));
        report.put("action", drop ? "drop" : "report");
        report.put("dropped", drop ? issues.size() : 0);
        report.put("examples", issues.subList(0, Math.min(EXAMPLES, issues.size())));
        try {
            Files.createDirectories(dir);
            writeLines(dir.resolve(LABEL_ISSUES), issues);
            if (drop) {
                Set<Integer> flagged = new HashSet<>();
                List<Reject> rejects = new ArrayList<>();
                for (ConfidentLearning.Issue i : r.issues()) {
                    Example e = r.rows().get(i.index());
                    flagged.add(i.index());
                    rejects.add(new Reject("label_issue", "given label '" + names.get(i.given()) + "', confidently '" + names.get(i.suggested())
                            + "' out of sample (p(" + names.get(i.given()) + ") = " + round(i.selfConfidence()) + ")", e.origin, e.toJson()));
                }
                writeDrop(dir, r.rows(), flagged, rejects);
            } else {
                clearDrop(dir);
            }
            write(dir, report);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audit to " + dir + ": " + IoErrors.describe(e), e);
        }
        return report;
    }

    /** Rows flagged per (given, suggested) pair, most first. */
    private static List<Map<String, Object>> pairs(LabelAudit.Result r) {
        Map<List<Integer>, Long> n = new TreeMap<>(Comparator.<List<Integer>>comparingInt(p -> p.get(0)).thenComparingInt(p -> p.get(1)));
        for (ConfidentLearning.Issue i : r.issues()) n.merge(List.of(i.given(), i.suggested()), 1L, Long::sum);
        List<Map<String, Object>> out = new ArrayList<>();
        n.entrySet().stream().sorted(Map.Entry.<List<Integer>, Long>comparingByValue().reversed()).forEach(e -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("given_label", r.labels().get(e.getKey().get(0)));
            m.put("suggested_label", r.labels().get(e.getKey().get(1)));
            m.put("rows", e.getValue());
            out.add(m);
        });
        return out;
    }

    /** Writes a response audit's folder and returns its report. */
    public static Map<String, Object> responses(ResponseAudit.Result r, Path dir, boolean drop, Map<String, Object> context) {
        List<Map<String, Object>> scores = new ArrayList<>();
        for (ResponseAudit.Row row : r.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", rowId(row.example()));
            for (ResponseAudit.Part p : row.parts()) m.put(p.name(), score(p.score()));
            if (!Double.isNaN(row.pairSimilarity())) m.put("pair_similarity", round(row.pairSimilarity()));
            m.put("reasons", row.reasons());
            scores.add(m);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("kind", "response_audit");
        report.putAll(context);
        report.put("schema", r.schema() == null ? null : r.schema().id());
        report.put("max_length", r.maxLength());
        report.put("rows", r.rows().size());
        report.put("flagged", r.flagged());
        Map<String, Long> reasons = new TreeMap<>();
        for (ResponseAudit.Row row : r.rows()) for (String why : row.reasons()) reasons.merge(why, 1L, Long::sum);
        report.put("reasons", reasons);
        report.put("thresholds", thresholds(r.thresholds()));
        Map<String, Object> metrics = new LinkedHashMap<>();
        List<String> partNames = r.rows().isEmpty() ? List.of() : r.rows().getFirst().parts().stream().map(ResponseAudit.Part::name).toList();
        for (int k = 0; k < partNames.size(); k++) {
            int part = k;
            Map<String, Object> per = new LinkedHashMap<>();
            per.put("loss", tails(r, part, s -> s.loss(), true));
            per.put("tokens", tails(r, part, s -> s.tokens() == 0 ? Double.NaN : s.tokens(), true));
            per.put("repetition", tails(r, part, s -> s.repetition(), false));
            per.put("empty", r.rows().stream().filter(row -> row.parts().get(part).score().tokens() == 0).count());
            per.put("truncated", r.rows().stream().filter(row -> row.parts().get(part).score().truncated()).count());
            metrics.put(partNames.get(k), per);
        }
        report.put("metrics", metrics);
        if (r.schema() == Schema.PREFERENCE) {
            double[] sim = r.rows().stream().mapToDouble(ResponseAudit.Row::pairSimilarity).toArray();
            Map<String, Object> pairs = new LinkedHashMap<>();
            pairs.put("similarity", spread(ResponseAudit.Spread.of(sim)));
            pairs.put("most_similar", top(r, ResponseAudit.Row::pairSimilarity, true, TAIL, row -> row.parts().get(1).text()));
            report.put("pairs", pairs);
        }
        List<Map<String, Object>> flagged = new ArrayList<>();
        for (ResponseAudit.Row row : r.rows()) {
            if (!row.flagged() || flagged.size() == EXAMPLES) continue;
            Map<String, Object> m = example(row, row.parts().getFirst().text());
            m.put("reasons", row.reasons());
            flagged.add(m);
        }
        report.put("action", drop ? "drop" : "report");
        report.put("dropped", drop ? r.flagged() : 0);
        report.put("examples", flagged);
        try {
            Files.createDirectories(dir);
            writeLines(dir.resolve(RESPONSE_SCORES), scores);
            if (drop) {
                Set<Integer> out = new HashSet<>();
                List<Reject> rejects = new ArrayList<>();
                List<Example> rows = new ArrayList<>();
                for (int i = 0; i < r.rows().size(); i++) {
                    ResponseAudit.Row row = r.rows().get(i);
                    rows.add(row.example());
                    if (!row.flagged()) continue;
                    out.add(i);
                    rejects.add(new Reject(row.reasons().getFirst(), String.join(", ", row.reasons()) + " (" + Json.line(scores.get(i)) + ")",
                            row.example().origin, row.example().toJson()));
                }
                writeDrop(dir, rows, out, rejects);
            } else {
                clearDrop(dir);
            }
            write(dir, report);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audit to " + dir + ": " + IoErrors.describe(e), e);
        }
        return report;
    }

    private static Map<String, Object> thresholds(ResponseAudit.Thresholds t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_loss", number(t.maxLoss()));
        m.put("min_loss", number(t.minLoss()));
        m.put("max_repetition", t.maxRepetition() >= 1 ? null : t.maxRepetition());
        m.put("min_tokens", t.minTokens() == 0 ? null : t.minTokens());
        m.put("max_tokens", t.maxTokens() == 0 ? null : t.maxTokens());
        m.put("max_pair_similarity", t.maxPairSimilarity());
        return m;
    }

    /** A metric's spread, and its highest (and with {@code lowest}, lowest) rows with their text. */
    private static Map<String, Object> tails(ResponseAudit.Result r, int part, ToDoubleFunction<ResponseScorer.Score> metric, boolean lowest) {
        ToDoubleFunction<ResponseAudit.Row> value = row -> metric.applyAsDouble(row.parts().get(part).score());
        Map<String, Object> m = new LinkedHashMap<>(spread(ResponseAudit.Spread.of(r.rows().stream().mapToDouble(value).toArray())));
        m.put("highest", top(r, value, true, TAIL, row -> row.parts().get(part).text()));
        if (lowest) m.put("lowest", top(r, value, false, TAIL, row -> row.parts().get(part).text()));
        return m;
    }

    private static List<Map<String, Object>> top(ResponseAudit.Result r, ToDoubleFunction<ResponseAudit.Row> value, boolean highest, int n,
                                                 Function<ResponseAudit.Row, String> text) {
        Comparator<ResponseAudit.Row> by = Comparator.comparingDouble(value);
        return r.rows().stream().filter(row -> !Double.isNaN(value.applyAsDouble(row)))
                .sorted(highest ? by.reversed() : by).limit(n).map(row -> {
                    Map<String, Object> m = example(row, text.apply(row));
                    m.put("value", round(value.applyAsDouble(row)));
                    return m;
                }).toList();
    }

    private static Map<String, Object> example(ResponseAudit.Row row, String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rowId(row.example()));
        m.put("prompt", start(ResponseAudit.prompt(row.example()).stream().map(PromptFormat.Turn::content).reduce("", (a, b) -> a.isEmpty() ? b : a + "\n\n" + b)));
        m.put("text", start(text));
        return m;
    }

    private static Map<String, Object> spread(ResponseAudit.Spread s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", s.n());
        m.put("p1", number(s.p1()));
        m.put("p5", number(s.p5()));
        m.put("median", number(s.median()));
        m.put("p95", number(s.p95()));
        m.put("p99", number(s.p99()));
        m.put("mad", number(s.mad()));
        m.put("high_outliers", s.highOutliers());
        m.put("low_outliers", s.lowOutliers());
        return m;
    }

    private static Map<String, Object> score(ResponseScorer.Score s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", s.tokens());
        m.put("loss", number(s.loss()));
        m.put("repetition", round(s.repetition()));
        m.put("truncated", s.truncated());
        return m;
    }

    private static void writeDrop(Path dir, List<Example> rows, Set<Integer> flagged, List<Reject> rejects) throws IOException {
        List<Object> kept = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) if (!flagged.contains(i)) kept.add(rows.get(i).toJson());
        writeLines(dir.resolve(KEPT), kept);
        writeLines(dir.resolve(REJECTS), rejects.stream().<Object>map(PreparedWriter::rejectJson).toList());
    }

    /** A report-only audit into a folder that held a drop leaves no stale kept or rejected rows. */
    private static void clearDrop(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(KEPT));
        Files.deleteIfExists(dir.resolve(REJECTS));
    }

    private static void write(Path dir, Map<String, Object> report) throws IOException {
        Files.writeString(dir.resolve(REPORT), Json.pretty(report) + "\n");
        Files.writeString(dir.resolve(HTML), AuditPage.render(report));
    }

    private static void writeLines(Path file, List<?> rows) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Object o : rows) {
                w.write(Json.line(o));
                w.write('\n');
            }
        }
    }

    static String start(String text) {
        if (text.length() <= TEXT_START) return text;
        int end = Character.isHighSurrogate(text.charAt(TEXT_START - 1)) ? TEXT_START - 1 : TEXT_START;
        return text.substring(0, end) + "…";
    }

    static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    /** NaN as null: JSON has no NaN. */
    private static Double number(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : round(v);
    }
}
