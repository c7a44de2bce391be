package dev.tune4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code data-report.html}: the JSON report as one self-contained page, charts drawn as inline SVG
 * (no scripts, nothing fetched), so it opens anywhere, offline.
 */
public final class HtmlReport {
    private HtmlReport() {}

    private static final String BEFORE = "#b0b7c3", AFTER = "#2f6fd6", DROP = "#d65a31";
    private static final String[] PALETTE = {"#2f6fd6", "#d65a31", "#3a9d5d", "#9b59b6", "#c9a227", "#17a2b8", "#e83e8c", "#6c757d"};

    public static String render(Map<String, Object> r) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tune4j data report</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}")
                .append("h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right;vertical-align:top}")
                .append("th{background:#f4f5f7}td.l,th.l{text-align:left}.off{color:#999}.muted{color:#666}")
                .append(".snip{font-family:ui-monospace,monospace;font-size:.82em;white-space:pre-wrap;max-width:640px;text-align:left;color:#333}")
                .append(".big{font-size:1.15em}.bad{color:#b00020;font-weight:bold}.good{color:#2e7d32;font-weight:bold}svg text{font-size:11px}")
                .append("\n</style></head><body>\n");
        h.append("<h1>Data report</h1>\n");
        h.append("<p class=\"big\"><b>").append(r.get("rows_in")).append("</b> rows in &rarr; <b>").append(r.get("rows_out"))
                .append("</b> rows out &middot; schema <b>").append(esc(r.get("schema"))).append("</b> ")
                .append(esc(String.valueOf(r.get("fields")))).append("</p>\n");

        section(h, "Inputs");
        table(h, List.of("file", "format", "records", "rejected", "note"), list(r.get("inputs")).stream().map(o -> {
            Map<String, Object> m = map(o);
            Object note = m.get("skipped") != null ? "skipped: " + m.get("skipped") : m.getOrDefault("error", "");
            return List.<Object>of(m.get("file"), m.getOrDefault("format", ""), m.getOrDefault("records", ""), m.getOrDefault("rejected", ""), note);
        }).toList());

        section(h, "Rules: rows in and out");
        List<Map<String, Object>> rules = list(r.get("rules")).stream().map(HtmlReport::map).toList();
        h.append(funnel(rules));
        h.append("<table><tr><th class=\"l\">rule</th><th class=\"l\">stage</th><th>rows in</th><th>rows out</th><th>dropped</th><th>changed</th></tr>\n");
        for (Map<String, Object> m : rules) {
            boolean on = Boolean.TRUE.equals(m.get("enabled"));
            h.append("<tr").append(on ? "" : " class=\"off\"").append("><td class=\"l\">").append(esc(m.get("rule"))).append(on ? "" : " (off)")
                    .append("</td><td class=\"l\">").append(esc(m.get("stage"))).append("</td><td>").append(m.get("rows_in"))
                    .append("</td><td>").append(m.get("rows_out")).append("</td><td>").append(m.getOrDefault("dropped", ""))
                    .append("</td><td>").append(m.getOrDefault("changed", "")).append("</td></tr>\n");
        }
        h.append("</table>\n");

        section(h, "Lengths before and after");
        Map<String, Object> lengths = map(r.get("lengths"));
        for (String what : List.of("chars", "tokens")) {
            Map<String, Object> pair = map(lengths.get(what));
            Map<String, Object> before = map(pair.get("before")), after = map(pair.get("after"));
            h.append("<h3>").append(what.equals("chars") ? "Characters" : "Tokens (" + esc(lengths.get("token_counter")) + ")").append("</h3>\n");
            h.append(histogram(before, after));
            table(h, List.of("", "rows", "min", "median", "mean", "p95", "max"), List.of(
                    List.of("before", before.get("rows"), before.get("min"), before.get("median"), before.get("mean"), before.get("p95"), before.get("max")),
                    List.of("after", after.get("rows"), after.get("min"), after.get("median"), after.get("mean"), after.get("p95"), after.get("max"))));
        }

        section(h, "Splits");
        Map<String, Object> splits = map(r.get("splits"));
        table(h, List.of("train", "validation", "test"), List.of(List.of(splits.get("train"), splits.get("validation"), splits.get("test"))));
        if (r.get("labels") != null) {
            h.append("<h3>Labels per split</h3>\n");
            h.append(labelBars(map(r.get("labels"))));
        }

        section(h, "Duplicates");
        Map<String, Object> dup = map(r.get("duplicates"));
        Map<String, Object> exact = map(dup.get("exact")), near = map(dup.get("near")), conf = map(dup.get("conflicting_labels"));
        h.append("<p>Exact duplicates (").append(esc(dup.get("key"))).append("): <b>").append(exact.get("rows")).append("</b> rows dropped in <b>")
                .append(exact.get("clusters")).append("</b> clusters.<br>Near duplicates (Jaccard &ge; ").append(near.get("threshold")).append(" over ")
                .append(esc(near.get("shingles"))).append("; MinHash ").append(near.get("minhash_permutations")).append(", LSH ")
                .append(near.get("lsh_bands")).append(" bands &times; ").append(near.get("lsh_rows_per_band")).append(" rows; ")
                .append(near.get("candidate_pairs_verified")).append(" candidate pairs verified exactly): <b>").append(near.get("rows"))
                .append("</b> rows dropped in <b>").append(near.get("clusters")).append("</b> clusters")
                .append(", of which ").append(near.get("conflicting_labels")).append(" with another label than their kept row.<br>")
                .append("Conflicting labels (same text, different labels; policy ").append(esc(conf.get("policy"))).append("): <b>")
                .append(conf.get("clusters")).append("</b> groups, <b>").append(conf.get("rows")).append("</b> rows.</p>\n");
        clusterTable(h, "Largest exact-duplicate clusters", exact);
        clusterTable(h, "Largest near-duplicate clusters", near);
        clusterTable(h, "Conflicting labels", conf);

        section(h, "Leakage check");
        Map<String, Object> leak = map(r.get("leakage"));
        if (!Boolean.TRUE.equals(leak.get("checked"))) {
            h.append("<p class=\"muted\">not run</p>\n");
        } else {
            long total = ((Number) leak.get("exact")).longValue() + ((Number) leak.get("near")).longValue();
            h.append("<p class=\"").append(total == 0 ? "good" : "bad").append("\">").append(total == 0
                    ? "No validation or test row repeats a training row."
                    : total + " validation/test rows repeat a training row (" + leak.get("exact") + " exact, " + leak.get("near") + " near)")
                    .append(Boolean.TRUE.equals(leak.get("failed")) ? " &mdash; the run FAILED (--fail-on-leakage)." : "").append("</p>\n");
            List<List<Object>> rows = new ArrayList<>();
            for (Object o : list(leak.get("rows"))) {
                Map<String, Object> m = map(o), row = map(m.get("row")), tr = map(m.get("train_row"));
                rows.add(List.of(m.get("split"), m.get("kind"), m.get("similarity"), where(row), new Snip(row.get("text")), where(tr), new Snip(tr.get("text"))));
            }
            if (!rows.isEmpty()) table(h, List.of("split", "kind", "similarity", "row", "text", "training row", "text"), rows);
        }

        section(h, "Rejects");
        Map<String, Object> rej = map(r.get("rejects"));
        h.append("<p>").append(rej.get("rows")).append(" rows in <code>").append(esc(rej.get("file"))).append("</code>, each with its reason. First examples:</p>\n");
        List<List<Object>> rrows = new ArrayList<>();
        for (Map.Entry<String, Object> e : map(rej.get("examples")).entrySet()) {
            for (Object o : list(e.getValue())) {
                Map<String, Object> m = map(o);
                rrows.add(List.of(e.getKey(), m.get("source") + ":" + m.get("line"), new Snip(m.get("detail"))));
            }
        }
        if (!rrows.isEmpty()) table(h, List.of("reason", "row", "detail"), rrows);

        section(h, "Configuration");
        List<List<Object>> cfg = new ArrayList<>();
        for (Map.Entry<String, Object> e : map(r.get("config")).entrySet()) cfg.add(List.of(e.getKey(), new Snip(String.valueOf(e.getValue()))));
        table(h, List.of("option", "value"), cfg);
        h.append("<p class=\"muted\">Stage times (s): ").append(esc(String.valueOf(r.get("seconds")))).append("</p>\n");
        h.append("</body></html>\n");
        return h.toString();
    }

    /** Text shown in a monospaced, wrapped cell. */
    private record Snip(Object text) {}

    private static String where(Map<String, Object> row) {
        return row.get("source") + ":" + row.get("line") + (row.get("label") != null ? " [" + row.get("label") + "]" : "");
    }

    private static void section(StringBuilder h, String title) {
        h.append("<h2>").append(esc(title)).append("</h2>\n");
    }

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

    private static void clusterTable(StringBuilder h, String title, Map<String, Object> clusters) {
        List<Object> ex = list(clusters.get("examples"));
        if (ex.isEmpty()) return;
        h.append("<h3>").append(esc(title)).append("</h3>\n");
        List<List<Object>> rows = new ArrayList<>();
        for (Object o : ex) {
            Map<String, Object> c = map(o), kept = map(c.get("kept"));
            StringBuilder members = new StringBuilder();
            for (Object mo : list(c.get("members"))) {
                Map<String, Object> m = map(mo);
                members.append(where(m)).append("  sim ").append(m.get("similarity")).append('\n').append(m.get("text")).append("\n\n");
            }
            rows.add(List.of(c.get("size"), where(kept), new Snip(kept.get("text")), new Snip(members.toString().strip())));
        }
        table(h, List.of("rows", "kept", "kept text", "dropped (first 5)"), rows);
    }

    /** Horizontal bars: rows remaining after each dropping rule. */
    private static String funnel(List<Map<String, Object>> rules) {
        List<Map<String, Object>> drops = rules.stream().filter(m -> m.containsKey("dropped")).toList();
        if (drops.isEmpty()) return "";
        double max = Math.max(1, ((Number) drops.get(0).get("rows_in")).doubleValue());
        int rowH = 18, labelW = 150, barW = 560, w = labelW + barW + 140, hgt = rowH * (drops.size() + 1) + 10;
        StringBuilder s = new StringBuilder();
        s.append(svgOpen(w, hgt));
        int y = 5;
        bar(s, "read", ((Number) drops.get(0).get("rows_in")).doubleValue(), 0, max, y, rowH, labelW, barW);
        for (Map<String, Object> m : drops) {
            y += rowH;
            bar(s, String.valueOf(m.get("rule")), ((Number) m.get("rows_out")).doubleValue(), ((Number) m.get("dropped")).doubleValue(), max, y, rowH, labelW, barW);
        }
        return s.append("</svg>\n").toString();
    }

    private static void bar(StringBuilder s, String label, double out, double dropped, double max, int y, int rowH, int labelW, int barW) {
        double wOut = barW * out / max, wDrop = barW * dropped / max;
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", labelW - 6, y + rowH - 6, esc(label)));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", labelW, y + 2, wOut, rowH - 4, AFTER));
        if (dropped > 0) s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", labelW + wOut, y + 2, Math.max(wDrop, 1), rowH - 4, DROP));
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%d%s</text>", labelW + wOut + Math.max(wDrop, 0) + 6, y + rowH - 6, (long) out,
                dropped > 0 ? " (−" + (long) dropped + ")" : ""));
    }

    /** Before (grey) and after (blue) bars per power-of-two length bin. */
    private static String histogram(Map<String, Object> before, Map<String, Object> after) {
        List<Object> edges = list(before.get("bin_edges"));
        List<Object> cb = list(before.get("counts")), ca = list(after.get("counts"));
        int bins = cb.size();
        // drop empty bins at both ends
        int lo = 0, hi = bins - 1;
        while (lo < hi && num(cb.get(lo)) == 0 && num(ca.get(lo)) == 0) lo++;
        while (hi > lo && num(cb.get(hi)) == 0 && num(ca.get(hi)) == 0) hi--;
        double max = 1;
        for (int b = lo; b <= hi; b++) max = Math.max(max, Math.max(num(cb.get(b)), num(ca.get(b))));
        int shown = hi - lo + 1, slot = Math.max(24, Math.min(60, 900 / Math.max(1, shown))), plotH = 160, left = 50;
        int w = left + slot * shown + 20, hgt = plotH + 60;
        StringBuilder s = new StringBuilder(svgOpen(w, hgt));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", left, plotH + 10, w - 10, plotH + 10));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>", left - 4, 16, (long) max));
        for (int b = lo; b <= hi; b++) {
            int x = left + (b - lo) * slot;
            double hb = plotH * num(cb.get(b)) / max, ha = plotH * num(ca.get(b)) / max;
            int bw = (slot - 6) / 2;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>before: %d</title></rect>",
                    x + 2, plotH + 10 - hb, bw, hb, BEFORE, (long) num(cb.get(b))));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>after: %d</title></rect>",
                    x + 2 + bw, plotH + 10 - ha, bw, ha, AFTER, (long) num(ca.get(b))));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", x + slot / 2, plotH + 26, shortNum(num(edges.get(b)))));
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">before</text>", left, plotH + 38, BEFORE, left + 14, plotH + 47));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">after (bins start at the number shown; each bin doubles)</text>", left + 70, plotH + 38, AFTER, left + 84, plotH + 47));
        return s.append("</svg>\n").toString();
    }

    /** One stacked bar per split: the share of each label, with counts. */
    private static String labelBars(Map<String, Object> labels) {
        Map<String, Object> all = map(labels.get("all"));
        List<String> names = new ArrayList<>(all.keySet());
        int rowH = 22, labelW = 90, barW = 600, w = labelW + barW + 20, hgt = rowH * 4 + 16 + 18 * ((names.size() + 3) / 4);
        StringBuilder s = new StringBuilder(svgOpen(w, hgt));
        int y = 4;
        for (String split : List.of("all", "train", "validation", "test")) {
            Map<String, Object> counts = map(labels.get(split));
            double total = 0;
            for (Object v : counts.values()) total += num(v);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s (%d)</text>", labelW - 6, y + rowH - 8, split, (long) total));
            double x = labelW;
            for (int k = 0; k < names.size(); k++) {
                double c = counts.containsKey(names.get(k)) ? num(counts.get(names.get(k))) : 0;
                if (total == 0 || c == 0) continue;
                double bw = barW * c / total;
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s: %d (%.1f%%)</title></rect>",
                        x, y + 2, bw, rowH - 6, PALETTE[k % PALETTE.length], esc(names.get(k)), (long) c, 100 * c / total));
                if (bw > 50) s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#fff\">%d (%.0f%%)</text>", x + 4, y + rowH - 8, (long) c, 100 * c / total));
                x += bw;
            }
            y += rowH;
        }
        for (int k = 0; k < names.size(); k++) {
            int lx = labelW + (k % 4) * 150, ly = y + 8 + (k / 4) * 18;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>",
                    lx, ly, PALETTE[k % PALETTE.length], lx + 14, ly + 9, esc(names.get(k))));
        }
        return s.append("</svg>\n").toString();
    }

    private static String svgOpen(int w, int h) {
        return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", w, h, w, h);
    }

    private static String shortNum(double v) {
        if (v >= 1_000_000) return String.format(Locale.ROOT, "%.0fM", v / 1e6);
        if (v >= 1000) return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        return String.valueOf((long) v);
    }

    private static double num(Object o) {
        return o == null ? 0 : ((Number) o).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (o instanceof long[] a) {
            List<Object> l = new ArrayList<>();
            for (long v : a) l.add(v);
            return l;
        }
        return o == null ? List.of() : (List<Object>) o;
    }

    static String esc(Object o) {
        return dev.tune4j.report.Html.esc(String.valueOf(o));
    }
}
