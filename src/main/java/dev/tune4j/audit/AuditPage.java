package dev.tune4j.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An audit's {@code report.html}: {@code audit-report.json} as one self-contained page (inline CSS
 * and SVG, nothing fetched), in the look of the data report.
 */
final class AuditPage {
    private AuditPage() {}

    private static final String KEPT = "#2f6fd6", FLAGGED = "#d65a31";

    static String render(Map<String, Object> r) {
        boolean labels = "label_audit".equals(r.get("kind"));
        StringBuilder h = new StringBuilder(32 * 1024);
        h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tune4j ").append(labels ? "label" : "response").append(" audit</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}")
                .append("h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right;vertical-align:top}")
                .append("th{background:#f4f5f7}td.l,th.l{text-align:left}.muted{color:#666}.hot{background:#fbe3da;font-weight:bold}.diag{background:#e3eefb}")
                .append(".snip{font-family:ui-monospace,monospace;font-size:.82em;white-space:pre-wrap;max-width:560px;text-align:left;color:#333}")
                .append(".big{font-size:1.15em}svg text{font-size:11px}")
                .append("\n</style></head><body>\n");
        if (labels) labelPage(h, r);
        else responsePage(h, r);
        h.append("<h2>Run</h2>\n");
        List<List<Object>> cfg = new ArrayList<>();
        for (String k : List.of("task", "model", "data", "method", "folds", "seed", "prompt_format", "max_length", "seconds")) {
            if (r.containsKey(k)) cfg.add(List.of(k, new Snip(String.valueOf(r.get(k)))));
        }
        table(h, List.of("setting", "value"), cfg);
        return h.append("</body></html>\n").toString();
    }

    private static void labelPage(StringBuilder h, Map<String, Object> r) {
        long rows = num(r.get("rows")), issues = num(r.get("issues"));
        Map<String, Object> held = map(r.get("held_out"));
        h.append("<h1>Label audit</h1>\n<p class=\"big\"><b>").append(issues).append("</b> of <b>").append(rows).append("</b> rows flagged (")
                .append(pct(issues, rows)).append(") &middot; ").append(r.get("folds")).append("-fold ").append(esc(r.get("method")))
                .append(" on <b>").append(esc(r.get("model"))).append("</b></p>\n");
        h.append("<p>A row is flagged when a model that never saw it is confident it belongs to another class: its probability for that class ")
                .append("reaches the class's threshold (the mean probability the class's own rows get) and beats its given label. ")
                .append("Rows are ranked by the probability of their given label (<i>score</i>), lowest first. ")
                .append("The fold models").append(map(r.get("fold_model")).containsKey("l2") ? " (L2 weight " + map(r.get("fold_model")).get("l2") + ", the lowest held-out log-loss)" : "")
                .append(" reach accuracy ").append(fixed(held.get("accuracy"))).append(" and macro-F1 ").append(fixed(held.get("macro_f1")))
                .append(" against the given labels, noise included.</p>\n");
        if ("drop".equals(r.get("action"))) {
            h.append("<p><b>").append(r.get("dropped")).append("</b> flagged rows moved to <code>rejects.jsonl</code> (reason <code>label_issue</code>); ")
                    .append("<code>kept.jsonl</code> holds the rest.</p>\n");
        }

        List<String> names = new ArrayList<>();
        for (Object o : list(r.get("labels"))) names.add(String.valueOf(o));
        Map<String, Object> counts = map(r.get("class_counts")), joint = map(r.get("confident_joint")), thresholds = map(r.get("thresholds"));
        h.append("<h2>Flagged rows per class</h2>\n").append(classBars(names, counts, list(r.get("issue_pairs"))));
        List<List<Object>> pairs = new ArrayList<>();
        for (Object o : list(r.get("issue_pairs"))) {
            Map<String, Object> m = map(o);
            pairs.add(List.of(m.get("given_label"), m.get("suggested_label"), m.get("rows")));
        }
        if (!pairs.isEmpty()) table(h, List.of("given label", "suggested label", "rows"), pairs);

        h.append("<h2>Confident joint</h2>\n<p class=\"muted\">Rows given the label on the left whose confident class is the one on top; ")
                .append("rows confident of no class are not counted. Off the diagonal: the flagged rows (less those whose most probable class is still their given label).</p>\n");
        h.append("<table><tr><th class=\"l\">given \\ confident</th>");
        for (String n : names) h.append("<th>").append(esc(n)).append("</th>");
        h.append("<th>rows</th><th>threshold</th></tr>\n");
        for (int i = 0; i < names.size(); i++) {
            Map<String, Object> row = map(joint.get(names.get(i)));
            h.append("<tr><th class=\"l\">").append(esc(names.get(i))).append("</th>");
            for (int j = 0; j < names.size(); j++) {
                long c = num(row.get(names.get(j)));
                h.append("<td").append(i == j ? " class=\"diag\"" : c > 0 ? " class=\"hot\"" : "").append(">").append(c).append("</td>");
            }
            h.append("<td>").append(counts.get(names.get(i))).append("</td><td>").append(fixed(thresholds.get(names.get(i)))).append("</td></tr>\n");
        }
        h.append("</table>\n");

        h.append("<h2>Most suspicious rows</h2>\n<p class=\"muted\">The first ").append(list(r.get("examples")).size())
                .append("; every flagged row is in <code>label-issues.jsonl</code>.</p>\n");
        List<List<Object>> ex = new ArrayList<>();
        int rank = 1;
        for (Object o : list(r.get("examples"))) {
            Map<String, Object> m = map(o);
            ex.add(List.of(rank++, m.get("id"), m.get("given_label"), m.get("suggested_label"), fixed(m.get("score")), new Snip(m.get("text"))));
        }
        if (!ex.isEmpty()) table(h, List.of("#", "id", "given", "suggested", "score", "text"), ex);
        else h.append("<p>No row is flagged.</p>\n");
    }

    /** One bar per class: its rows, the flagged ones (given that label) in orange. */
    private static String classBars(List<String> names, Map<String, Object> counts, List<Object> pairs) {
        long max = 1;
        for (String n : names) max = Math.max(max, num(counts.get(n)));
        int rowH = 22, labelW = 140, barW = 560, w = labelW + barW + 240, hgt = rowH * names.size() + 30;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", w, hgt, w, hgt));
        int y = 4;
        for (String n : names) {
            long total = num(counts.get(n)), flagged = 0;
            for (Object o : pairs) if (n.equals(map(o).get("given_label"))) flagged += num(map(o).get("rows"));
            double wAll = (double) barW * total / max, wFlag = (double) barW * flagged / max;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", labelW - 6, y + rowH - 8, esc(n)));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", labelW, y + 2, wAll - wFlag, rowH - 6, KEPT));
            if (flagged > 0) s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", labelW + wAll - wFlag, y + 2, Math.max(wFlag, 1), rowH - 6, FLAGGED));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%d rows, %d flagged (%s)</text>", labelW + wAll + 6, y + rowH - 8, total, flagged, pct(flagged, total)));
            y += rowH;
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">not flagged</text>", labelW, y + 8, KEPT, labelW + 14, y + 17));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">flagged (by given label)</text>", labelW + 100, y + 8, FLAGGED, labelW + 114, y + 17));
        return s.append("</svg>\n").toString();
    }

    private static void responsePage(StringBuilder h, Map<String, Object> r) {
        long rows = num(r.get("rows")), flagged = num(r.get("flagged"));
        h.append("<h1>Response audit</h1>\n<p class=\"big\"><b>").append(flagged).append("</b> of <b>").append(rows).append("</b> rows flagged (")
                .append(pct(flagged, rows)).append(") &middot; ").append(esc(r.get("schema"))).append(" rows scored by <b>").append(esc(r.get("model")))
                .append("</b></p>\n<p>Loss: the mean next-token cross-entropy of the response given its prompt under the base model, in nats per token ")
                .append("(very high: off-distribution or garbage; very low: trivial or memorised). Repetition: the share of the response's token 4-grams ")
                .append("that repeat an earlier one. Outliers: beyond 3.5 robust standard deviations (median and MAD), a hint for thresholds.</p>\n");
        if ("drop".equals(r.get("action"))) {
            h.append("<p><b>").append(r.get("dropped")).append("</b> flagged rows moved to <code>rejects.jsonl</code>; <code>kept.jsonl</code> holds the rest.</p>\n");
        }
        h.append("<h2>Why rows are flagged</h2>\n");
        List<List<Object>> reasons = new ArrayList<>();
        for (Map.Entry<String, Object> e : map(r.get("reasons")).entrySet()) reasons.add(List.of(e.getKey(), e.getValue()));
        if (reasons.isEmpty()) h.append("<p>No row is flagged.</p>\n");
        else table(h, List.of("reason", "rows"), reasons);
        List<List<Object>> th = new ArrayList<>();
        for (Map.Entry<String, Object> e : map(r.get("thresholds")).entrySet()) th.add(List.of(e.getKey(), e.getValue() == null ? "not checked" : e.getValue()));
        table(h, List.of("threshold", "value"), th);

        for (Map.Entry<String, Object> part : map(r.get("metrics")).entrySet()) {
            Map<String, Object> m = map(part.getValue());
            h.append("<h2>").append(esc(part.getKey())).append(": spread</h2>\n<p class=\"muted\">").append(m.get("empty")).append(" empty, ")
                    .append(m.get("truncated")).append(" cut at ").append(r.get("max_length")).append(" tokens (scored on what fits).</p>\n");
            List<List<Object>> spread = new ArrayList<>();
            for (String metric : List.of("loss", "tokens", "repetition")) {
                Map<String, Object> s = map(m.get(metric));
                spread.add(List.of(metric, s.get("n"), fixed(s.get("p1")), fixed(s.get("p5")), fixed(s.get("median")), fixed(s.get("p95")),
                        fixed(s.get("p99")), s.get("high_outliers"), s.get("low_outliers")));
            }
            table(h, List.of("metric", "rows", "p1", "p5", "median", "p95", "p99", "high outliers", "low outliers"), spread);
            tail(h, part.getKey() + ": highest loss", map(m.get("loss")).get("highest"));
            tail(h, part.getKey() + ": lowest loss", map(m.get("loss")).get("lowest"));
            tail(h, part.getKey() + ": longest", map(m.get("tokens")).get("highest"));
            tail(h, part.getKey() + ": most repetitive", map(m.get("repetition")).get("highest"));
        }
        if (r.get("pairs") != null) {
            Map<String, Object> p = map(r.get("pairs")), s = map(p.get("similarity"));
            h.append("<h2>Chosen and rejected</h2>\n<p>Jaccard similarity of word 3-grams: median ").append(fixed(s.get("median"))).append(", p99 ")
                    .append(fixed(s.get("p99"))).append(".</p>\n");
            tail(h, "most similar pairs (the rejected response)", p.get("most_similar"));
        }
        h.append("<h2>Flagged rows</h2>\n");
        List<List<Object>> ex = new ArrayList<>();
        for (Object o : list(r.get("examples"))) {
            Map<String, Object> m = map(o);
            ex.add(List.of(m.get("id"), String.join(", ", list(m.get("reasons")).stream().map(String::valueOf).toList()), new Snip(m.get("prompt")), new Snip(m.get("text"))));
        }
        if (ex.isEmpty()) h.append("<p>No row is flagged.</p>\n");
        else table(h, List.of("id", "reasons", "prompt", "response"), ex);
    }

    private static void tail(StringBuilder h, String title, Object rows) {
        List<Object> l = list(rows);
        if (l.isEmpty()) return;
        h.append("<h3>").append(esc(title)).append("</h3>\n");
        List<List<Object>> out = new ArrayList<>();
        for (Object o : l) {
            Map<String, Object> m = map(o);
            out.add(List.of(fixed(m.get("value")), m.get("id"), new Snip(m.get("prompt")), new Snip(m.get("text"))));
        }
        table(h, List.of("value", "id", "prompt", "response"), out);
    }

    /** Text shown in a monospaced, wrapped cell. */
    private record Snip(Object text) {}

    private static void table(StringBuilder h, List<String> head, List<List<Object>> rows) {
        h.append("<table><tr>");
        for (String c : head) h.append("<th class=\"l\">").append(esc(c)).append("</th>");
        h.append("</tr>\n");
        for (List<Object> row : rows) {
            h.append("<tr>");
            for (Object c : row) {
                if (c instanceof Snip s) h.append("<td class=\"snip\">").append(esc(s.text())).append("</td>");
                else if (c instanceof Number) h.append("<td>").append(c).append("</td>");
                else h.append("<td class=\"l\">").append(esc(c)).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private static String fixed(Object v) {
        return v instanceof Number n ? String.format(Locale.ROOT, "%.3f", n.doubleValue()) : "—";
    }

    private static String pct(long part, long whole) {
        return whole == 0 ? "0%" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static long num(Object o) {
        return o == null ? 0 : ((Number) o).longValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    static String esc(Object o) {
        return dev.tune4j.report.Html.esc(String.valueOf(o));
    }
}
