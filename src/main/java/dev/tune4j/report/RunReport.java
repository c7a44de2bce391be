package dev.tune4j.report;

import static dev.tune4j.report.Html.NONE;
import static dev.tune4j.report.Html.esc;
import static dev.tune4j.report.Html.num;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Charts.Line;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html} for one training run: a self-contained page (inline CSS and SVG, nothing fetched)
 * built from the run folder's {@code config.yaml}, {@code metrics.jsonl} and {@code results.json}
 * (see {@link RunFiles}). Any of them may be missing or partial; the page says what is absent.
 */
public final class RunReport {
    private RunReport() {}

    /** A number in {@code results.json}: its key, its title on the page, its decimals. */
    private record Metric(String key, String title, int digits) {}

    private static final List<Metric> METRICS = List.of(
            new Metric("examples", "examples", 0), new Metric("loss", "loss", 4), new Metric("accuracy", "accuracy", 4),
            new Metric("macro_f1", "macro-F1", 4), new Metric("perplexity", "perplexity", 2), new Metric("tokens", "tokens", 0));
    private static final List<Metric> TIMINGS = List.of(
            new Metric("data_s", "data preparation (s)", 1), new Metric("train_s", "training (s)", 1),
            new Metric("eval_s", "evaluation (s)", 1), new Metric("steps", "steps", 0),
            new Metric("tokens_per_s", "training throughput (tokens/s)", 0));

    /** A scored split: its key in {@code results.json} and its title on the page. */
    private record Split(String key, String title) {}

    /** Writes {@code runDir/report.html} (atomically: a reader never sees half a page) and returns its path. */
    public static Path write(Path runDir) {
        String html = render(RunFiles.read(runDir), runDir.toAbsolutePath().normalize().getFileName().toString());
        Path target = runDir.resolve("report.html");
        Path tmp = runDir.resolve("report.html.tmp");
        try {
            Files.writeString(tmp, html);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        return target;
    }

    static String render(RunFiles run, String name) {
        JsonNode r = run.results() != null ? run.results() : Json.MAPPER.createObjectNode();
        double best = r.path("best_step").isNumber() ? r.path("best_step").asDouble() : Double.NaN;
        List<Split> splits = new ArrayList<>();
        if (r.path("validation").isObject())
            splits.add(new Split("validation", "validation" + (Double.isNaN(best) ? "" : " (best step " + num(r.path("best_step"), 0) + ")")));
        if (r.path("test").isObject()) splits.add(new Split("test", "test (scored once, after training)"));

        StringBuilder h = new StringBuilder(256 * 1024);
        h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tune4j run ").append(esc(name))
                .append("</title>\n<style>\n").append(CSS).append("</style></head><body>\n");
        header(h, run, name);
        finalMetrics(h, r, splits);
        perClass(h, r, splits);
        training(h, run.train(), best);
        validation(h, run.evals(), best);
        forgetting(h, r);
        samples(h, r.path("samples"));
        timing(h, r.path("timing"));
        h.append("<h2>Configuration</h2>\n").append(run.config() == null
                ? "<p class=\"muted\">No config.yaml in the run folder.</p>\n"
                : "<pre>" + esc(run.config()) + "</pre>\n");
        return h.append("</body></html>\n").toString();
    }

    private static void header(StringBuilder h, RunFiles run, String name) {
        h.append("<h1>Training run <span class=\"muted\">").append(esc(name)).append("</span></h1>\n");
        JsonNode r = run.results();
        if (r == null) {
            h.append("<p class=\"warn\">No results.json: the run did not finish. Below is what it logged.</p>\n");
        } else {
            String stopped = r.path("stopped_early").isBoolean() ? (r.path("stopped_early").asBoolean() ? "yes" : "no") : NONE;
            h.append("<table class=\"kv\">\n");
            row(h, "task", text(r.path("task")));
            row(h, "method", text(r.path("method")));
            row(h, "model", text(r.path("model")));
            row(h, "best step", num(r.path("best_step"), 0));
            row(h, "stopped early", stopped);
            if (r.path("parameters").isObject()) row(h, "parameters", parameters(r.path("parameters")));
            h.append("</table>\n");
        }
        if (run.dataReport())
            h.append("<p>Training data: <a href=\"data-report.html\">data report</a> (cleaning, duplicates, splits).</p>\n");
    }

    /** "147,456 trainable of 22,713,216 (0.65%)" */
    private static String parameters(JsonNode p) {
        double trainable = p.path("trainable").asDouble(Double.NaN), total = p.path("total").asDouble(Double.NaN);
        return num(p.path("trainable"), 0) + " trainable of " + num(p.path("total"), 0)
                + (trainable >= 0 && total > 0 ? String.format(Locale.ROOT, " (%.2f%%)", 100 * trainable / total) : "");
    }

    private static void finalMetrics(StringBuilder h, JsonNode r, List<Split> splits) {
        h.append("<h2>Final metrics</h2>\n");
        if (splits.isEmpty()) {
            h.append("<p class=\"muted\">No final metrics.</p>\n");
            return;
        }
        List<Metric> columns = METRICS.stream()
                .filter(m -> splits.stream().anyMatch(s -> r.path(s.key()).path(m.key()).isNumber())).toList();
        h.append("<table><tr><th class=\"l\">split</th>");
        for (Metric m : columns) h.append("<th>").append(m.title()).append("</th>");
        h.append("</tr>\n");
        for (Split s : splits) {
            h.append("<tr><td class=\"l\">").append(esc(s.title())).append("</td>");
            for (Metric m : columns) h.append("<td>").append(num(r.path(s.key()).path(m.key()), m.digits())).append("</td>");
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        if (!r.path("test").isObject()) h.append("<p class=\"muted\">No test split was scored.</p>\n");
    }

    private static void perClass(StringBuilder h, JsonNode r, List<Split> splits) {
        List<Split> classified = splits.stream()
                .filter(s -> r.path(s.key()).path("per_class").isObject() || r.path(s.key()).path("confusion").isObject()).toList();
        if (classified.isEmpty()) return;
        h.append("<h2>Per class</h2>\n");
        for (Split s : classified) {
            JsonNode split = r.path(s.key());
            h.append("<h3>").append(esc(s.title())).append("</h3>\n<div class=\"pair\">\n");
            if (split.path("per_class").isObject()) {
                h.append("<table><tr><th class=\"l\">class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n");
                for (Map.Entry<String, JsonNode> c : split.path("per_class").properties()) {
                    JsonNode m = c.getValue();
                    h.append("<tr><td class=\"l\">").append(esc(c.getKey())).append("</td><td>").append(num(m.path("precision"), 4))
                            .append("</td><td>").append(num(m.path("recall"), 4)).append("</td><td>").append(num(m.path("f1"), 4))
                            .append("</td><td>").append(num(m.path("support"), 0)).append("</td></tr>\n");
                }
                h.append("</table>\n");
            }
            if (split.path("confusion").isObject()) confusion(h, split.path("confusion"), s.key());
            h.append("</div>\n");
        }
    }

    /** Rows are the true label, columns the prediction; a cell is shaded by its share of the row. */
    private static void confusion(StringBuilder h, JsonNode confusion, String split) {
        JsonNode labels = confusion.path("labels"), matrix = confusion.path("matrix");
        int n = labels.size();
        boolean square = labels.isArray() && matrix.isArray() && matrix.size() == n;
        for (JsonNode row : matrix) square &= row.isArray() && row.size() == n;
        if (!square)
            throw new IllegalArgumentException("results.json: " + split + ".confusion: matrix must be " + n + " x " + n + " for its " + n + " labels");
        h.append("<table class=\"confusion\"><caption>rows: true label &middot; columns: predicted</caption>\n<tr><th class=\"l\">true \\ predicted</th>");
        for (JsonNode label : labels) h.append("<th>").append(esc(label.asText())).append("</th>");
        h.append("</tr>\n");
        for (int i = 0; i < n; i++) {
            double total = 0;
            for (JsonNode cell : matrix.get(i)) total += cell.asDouble();
            h.append("<tr><th class=\"l\">").append(esc(labels.get(i).asText())).append("</th>");
            for (int j = 0; j < n; j++) {
                double share = total > 0 ? matrix.get(i).get(j).asDouble() / total : 0;
                String rgb = i == j ? "47,111,214" : "214,90,49"; // right answers blue, mistakes orange
                h.append(String.format(Locale.ROOT, "<td style=\"background:rgba(%s,%.2f)%s\">", rgb, share, share > 0.5 ? ";color:#fff" : ""))
                        .append(num(matrix.get(i).get(j), 0)).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private static void training(StringBuilder h, List<JsonNode> steps, double best) {
        h.append("<h2>Training</h2>\n");
        if (steps.isEmpty()) {
            h.append("<p class=\"muted\">No training steps were logged.</p>\n");
            return;
        }
        Line loss = line(steps, "loss", "loss", Charts.FAINT_BLUE, 1f, false);
        Line smoothed = new Line("smoothed (EMA 0.9)", loss.x(), Charts.smooth(loss.y(), 0.9), Charts.BLUE, 2f, false);
        h.append("<div class=\"charts\">\n");
        chart(h, "train-loss", "Training loss", "loss", List.of(loss, smoothed), best);
        chart(h, "train-lr", "Learning rate", "learning rate", List.of(line(steps, "lr", "learning rate", Charts.ORANGE, 1.5f, false)), Double.NaN);
        chart(h, "train-grad-norm", "Gradient norm", "norm", List.of(line(steps, "grad_norm", "gradient norm", Charts.GREEN, 1f, false)), Double.NaN);
        h.append("</div>\n");
        bestNote(h, best);
    }

    private static void validation(StringBuilder h, List<JsonNode> evals, double best) {
        h.append("<h2>Validation during training</h2>\n");
        if (evals.isEmpty()) {
            h.append("<p class=\"muted\">No evaluation ran.</p>\n");
            return;
        }
        h.append("<div class=\"charts\">\n");
        chart(h, "eval-loss", "Validation loss", "loss", List.of(line(evals, "loss", "validation loss", Charts.ORANGE, 2f, true)), best);
        chart(h, "eval-scores", "Validation accuracy and macro-F1", "score", List.of(
                line(evals, "accuracy", "accuracy", Charts.BLUE, 2f, true),
                line(evals, "macro_f1", "macro-F1", Charts.GREEN, 2f, true)), best);
        chart(h, "eval-perplexity", "Validation perplexity", "perplexity", List.of(line(evals, "perplexity", "perplexity", Charts.BLUE, 2f, true)), best);
        h.append("</div>\n");
        bestNote(h, best);
    }

    /** Domain and general held-out perplexity before and after: the rise of the second is forgetting. */
    private static void forgetting(StringBuilder h, JsonNode r) {
        JsonNode f = r.path("forgetting");
        if (!f.isObject()) return;
        h.append("<h2>Forgetting</h2>\n<table><tr><th class=\"l\">held-out perplexity</th><th>before</th><th>after</th><th>change</th></tr>\n");
        for (String side : new String[] {"domain", "general"}) {
            double before = f.path(side + "_perplexity_before").asDouble(Double.NaN), after = f.path(side + "_perplexity_after").asDouble(Double.NaN);
            h.append("<tr><td class=\"l\">").append(side.equals("domain") ? "domain (validation)" : "general (eval.general)").append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.2f", before)).append("</td><td>").append(String.format(Locale.ROOT, "%.2f", after))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%+.1f%%", 100 * (after / before - 1))).append("</td></tr>\n");
        }
        h.append("</table>\n<p class=\"muted\">Fine-tuning should lower the domain perplexity; a rise of the general one is forgetting"
                + " (levers: replay, regularization.l2_sp, LoRA, partial freezing, a lower learning rate, fewer epochs).</p>\n");
        if (r.path("replay").isObject()) {
            JsonNode rp = r.path("replay");
            h.append("<p>Replay: ").append(num(rp.path("replay_rows"), 0)).append(" rows of ").append(esc(rp.path("data").asText()))
                    .append(" mixed with ").append(num(rp.path("domain_rows"), 0)).append(" domain rows (ratio ").append(num(rp.path("ratio"), 2)).append(").</p>\n");
        }
    }

    /** The last evaluation's generations for the recipe's sample prompts. */
    private static void samples(StringBuilder h, JsonNode samples) {
        if (!samples.isArray() || samples.isEmpty()) return;
        h.append("<h2>Samples</h2>\n<table><tr><th class=\"l\">prompt</th><th class=\"l\">generation (step ")
                .append(num(samples.get(0).path("step"), 0)).append(")</th><th class=\"l\">ended by</th></tr>\n");
        for (JsonNode s : samples) {
            h.append("<tr><td class=\"l\">").append(esc(s.path("prompt").asText())).append("</td><td class=\"l\"><pre>")
                    .append(esc(s.path("text").asText())).append("</pre></td><td class=\"l\">").append(esc(s.path("finish").asText())).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void timing(StringBuilder h, JsonNode t) {
        h.append("<h2>Time and throughput</h2>\n");
        if (!t.isObject()) {
            h.append("<p class=\"muted\">No timings.</p>\n");
            return;
        }
        h.append("<table class=\"kv\">\n");
        for (Metric m : TIMINGS) if (t.path(m.key()).isNumber()) row(h, m.title(), num(t.path(m.key()), m.digits()));
        if (t.path("train_s").isNumber() && t.path("steps").asDouble() > 0)
            row(h, "seconds per step", String.format(Locale.ROOT, "%.3f", t.path("train_s").asDouble() / t.path("steps").asDouble()));
        h.append("</table>\n");
    }

    /** The rows that have both a step and a numeric {@code field}, as one chart line. */
    private static Line line(List<JsonNode> rows, String field, String name, Color color, float width, boolean dots) {
        List<JsonNode> usable = rows.stream().filter(r -> r.path("step").isNumber() && r.path(field).isNumber()).toList();
        double[] x = new double[usable.size()], y = new double[usable.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = usable.get(i).path("step").asDouble();
            y[i] = usable.get(i).path(field).asDouble();
        }
        return new Line(name, x, y, color, width, dots);
    }

    /** One chart of the lines that have points; nothing when none has. */
    private static void chart(StringBuilder h, String id, String title, String yLabel, List<Line> lines, double best) {
        List<Line> drawn = lines.stream().filter(l -> l.x().length > 0).toList();
        if (drawn.isEmpty()) return;
        h.append("<div class=\"chart\">").append(Charts.svg(id, title, yLabel, drawn, best)).append("</div>\n");
    }

    private static void bestNote(StringBuilder h, double best) {
        if (!Double.isNaN(best))
            h.append(String.format(Locale.ROOT, "<p class=\"muted\">Dashed line: the best step (%.0f).</p>%n", best));
    }

    private static void row(StringBuilder h, String key, String valueHtml) {
        h.append("<tr><th class=\"l\">").append(esc(key)).append("</th><td class=\"l\">").append(valueHtml).append("</td></tr>\n");
    }

    private static String text(JsonNode value) {
        return value.isValueNode() && !value.isNull() ? esc(value.asText()) : NONE;
    }

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2em auto;max-width:1160px;color:#222;padding:0 1em;line-height:1.4}
            h1{font-size:1.6em}h1 .muted{font-weight:normal}
            h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}h3{font-size:1.05em;margin-bottom:.4em}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .7em;text-align:right}
            th{background:#f4f5f7}td.l,th.l{text-align:left}table.kv th{font-weight:normal;color:#555}
            .muted{color:#666}.warn{color:#b00020;font-weight:bold}
            .pair{display:flex;flex-wrap:wrap;gap:2.5em;align-items:flex-start}
            table.confusion td{min-width:4.5em;text-align:center;font-variant-numeric:tabular-nums}
            caption{caption-side:bottom;color:#666;font-size:.85em;padding-top:.3em;text-align:left}
            .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:1em}
            .chart svg{width:100%;height:auto;display:block;border:1px solid #eee}
            pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:1em;overflow:auto;font:13px/1.45 ui-monospace,"DejaVu Sans Mono",monospace}
            """;
}
