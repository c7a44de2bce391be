package dev.tune4j.cli;

import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.Recipe;

import java.util.Map;

/** The human-readable lines that train, eval and demo print (JSON mode prints the maps instead). */
final class Text {
    private Text() {}

    static String runHeader(Recipe r) {
        return String.format("tune4j train: %s on %s, %s fine-tuning, task %s -> %s", r.model(), r.data().train(), r.method(), r.task(), r.output());
    }

    @SuppressWarnings("unchecked")
    static String results(FineTune.Run run) {
        Map<String, Object> res = run.results();
        StringBuilder sb = new StringBuilder();
        Map<String, Object> params = (Map<String, Object>) res.get("parameters");
        sb.append(String.format("trainable parameters %,d of %,d (%.2f%%)%n", ((Number) params.get("trainable")).longValue(),
                ((Number) params.get("total")).longValue(), ((Number) params.get("trainable_percent")).doubleValue()));
        sb.append(metrics("validation (best, step " + res.get("best_step") + ")", (Map<String, Object>) res.get("validation")));
        if (res.containsKey("test")) sb.append(metrics("test (scored once)", (Map<String, Object>) res.get("test")));
        sb.append("run folder: ").append(run.dir()).append("  (report.html, metrics.jsonl, ").append(res.get("saved")).append(")");
        return sb.toString();
    }

    static String metrics(String title, Map<String, Object> m) {
        StringBuilder sb = new StringBuilder(String.format("%-28s", title));
        for (String k : new String[] {"accuracy", "macro_f1", "loss"}) {
            Object v = m.get(k);
            if (v instanceof Number n) sb.append(String.format("  %s %.4f", k, n.doubleValue()));
        }
        Object n = m.get("examples");
        if (n != null) sb.append("  (").append(n).append(" examples)");
        return sb.append('\n').toString();
    }
}
