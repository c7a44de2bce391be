package dev.tune4j.recipe;

import java.util.Set;
import java.util.HashSet;
import dev.tune4j.audit.AuditOutput;
import dev.tune4j.audit.LabelAudit;
import dev.tune4j.audit.PromptFormat;
import dev.tune4j.audit.ResponseAudit;
import dev.tune4j.data.DataPipeline;
import dev.tune4j.data.Example;
import dev.tune4j.data.PrepareConfig;
import dev.tune4j.data.PrepareResult;
import dev.tune4j.data.Schema;
import dev.tune4j.data.SplitSpec;
import dev.tune4j.model.PretrainedModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code tune4j data audit} and a recipe's {@code data.audit}: reads the rows as a run would
 * (the data pipeline's reading, schema mapping and cleaning; no deduplication, no split), opens
 * the model and audits labels ({@link LabelAudit}) or responses ({@link ResponseAudit}), writing
 * the audit's folder ({@link AuditOutput}).
 */
public final class DataAudit {
    private DataAudit() {}

    /** Folds of a recipe's audit. */
    static final int RUN_FOLDS = 5;

    /**
     * @param task       classification, sft (instruction or chat rows) or preference
     * @param fields     canonical field -> source field, as {@code data prepare --field}
     * @param epochs     LoRA folds only: epochs per fold
     * @param thresholds sft and preference only
     */
    public record Options(String model, List<Path> data, String task, Map<String, String> fields, int folds, LabelAudit.Method method,
                          long seed, int maxLength, int epochs, boolean drop, ResponseAudit.Thresholds thresholds, Path out) {}

    /** Audits and writes {@code out}; returns the report (as audit-report.json holds it). */
    public static Map<String, Object> run(Options o) {
        long t0 = System.nanoTime();
        Schema schema = switch (o.task()) {
            case "classification" -> Schema.CLASSIFICATION;
            case "preference" -> Schema.PREFERENCE;
            case "sft" -> null;         // instruction or chat, whichever the fields say
            default -> throw new IllegalArgumentException("--task must be classification, sft or preference, got '" + o.task() + "'");
        };
        PrepareResult read = read(o.data(), schema, o.fields(), o.seed());
        List<Example> rows = read.kept;
        Schema found = read.mapping.schema;
        if (o.task().equals("sft") && found != Schema.INSTRUCTION && found != Schema.CHAT) {
            throw new IllegalArgumentException("--task sft needs instruction rows (instruction, output) or chat rows (messages); "
                    + o.data().getFirst() + " reads as " + found.id() + " (" + read.mapping.describe() + ")");
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("task", o.task());
        context.put("model", o.model());
        context.put("data", o.data().stream().map(Path::toString).toList());
        context.put("rows_read", read.rowsIn);
        context.put("rows_rejected_on_read", read.rejects.size());
        double readSeconds = (System.nanoTime() - t0) / 1e9;
        try (PretrainedModel model = ClassificationTask.open(o.model())) {
            Map<String, Object> seconds = new LinkedHashMap<>();
            seconds.put("read", readSeconds);
            long t1 = System.nanoTime();
            if (schema == Schema.CLASSIFICATION) {
                List<String> labels = new ArrayList<>(new TreeSet<>(rows.stream().map(e -> e.label).toList()));
                if (labels.size() < 2) throw new IllegalArgumentException(o.data().getFirst() + ": a label audit needs at least 2 labels, found " + labels);
                LabelAudit.Result r = o.method() == LabelAudit.Method.HEAD
                        ? LabelAudit.head(model, rows, labels, o.folds(), o.seed(), o.maxLength())
                        : LabelAudit.run(rows, labels, o.folds(), o.seed(), LabelAudit.Method.LORA,
                        new LoraFolds(o.model(), rows, labels, o.maxLength(), o.epochs(), o.seed(), o.out().resolve("lora-folds")));
                seconds.put("audit", (System.nanoTime() - t1) / 1e9);
                context.put("seconds", seconds);
                return AuditOutput.labels(r, o.out(), o.drop(), context);
            }
            // rendered as instruction tuning renders it: the model's own chat template, else plain text
            dev.tune4j.tokenizer.ChatTemplate template = SftRows.ownTemplate(model);
            context.put("prompt_format", template == null ? "plain" : template.name());
            ResponseAudit.Result r = ResponseAudit.run(model, o.model(), template == null ? PromptFormat.plain() : PromptFormat.chat(template),
                    rows, o.thresholds(), o.maxLength());
            seconds.put("audit", (System.nanoTime() - t1) / 1e9);
            context.put("seconds", seconds);
            return AuditOutput.responses(r, o.out(), o.drop(), context);
        }
    }

    /**
     * A recipe's {@code data.audit}: the head-only label audit of the training rows with the run's
     * base model, written to {@code dir}; with drop the flagged rows leave the training split.
     *
     * @param summary receives what results.json records of the audit
     */
    static RunData inRun(Recipe r, PretrainedModel base, RunData data, List<String> labels, Path dir, FineTune.Options opts, Map<String, Object> summary) {
        boolean drop = r.data().audit().equals("drop");
        if (data.train().size() < 2 * RUN_FOLDS) {
            throw new IllegalArgumentException("data.audit: the label audit needs at least " + 2 * RUN_FOLDS + " training rows, got " + data.train().size());
        }
        long t0 = System.nanoTime();
        LabelAudit.Result res = LabelAudit.head(base, data.train(), labels, RUN_FOLDS, r.train().seed(), r.data().maxLength());
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> context = new LinkedHashMap<>();   // in this order in the report
        context.put("task", "classification");
        context.put("model", r.model());
        context.put("data", List.of(r.data().train()));
        context.put("seconds", Map.of("audit", seconds));
        AuditOutput.labels(res, dir, drop, context);
        int flagged = res.issues().size();
        summary.put("issues", flagged);
        summary.put("dropped", drop ? flagged : 0);
        summary.put("seconds", seconds);
        summary.put("report", "audit/" + AuditOutput.HTML);
        opts.progress().message("label audit: " + flagged + " of " + data.train().size() + " training rows flagged"
                + (drop ? " and dropped" : "") + " (see " + dir.resolve(AuditOutput.LABEL_ISSUES) + ")");
        if (!drop || flagged == 0) return data;
        Set<Integer> out = new HashSet<>();
        for (var i : res.issues()) out.add(i.index());
        List<Example> kept = new ArrayList<>();
        for (int i = 0; i < data.train().size(); i++) if (!out.contains(i)) kept.add(data.train().get(i));
        return new RunData(kept, data.validation(), data.test(), data.cleaning(), data.leaks());
    }

    /** The rows as a run reads them: mapped and cleaned, nothing deduplicated, nothing split off. */
    private static PrepareResult read(List<Path> files, Schema schema, Map<String, String> fields, long seed) {
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = files;
        cfg.schema = schema;
        cfg.fields = new LinkedHashMap<>(fields);
        cfg.requireResponse = false;    // an empty response is the audit's to report
        cfg.exactDedup = false;
        cfg.nearDedup = false;
        cfg.checkLeakage = false;
        cfg.split = SplitSpec.parse("1/0/0");
        cfg.seed = seed;
        PrepareResult res = DataPipeline.run(cfg);
        if (res.kept.isEmpty()) throw new IllegalArgumentException("no usable rows: " + res.noRowsReason());
        return res;
    }
}
