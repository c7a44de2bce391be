package dev.tune4j.cli;

import dev.tune4j.audit.AuditOutput;
import dev.tune4j.audit.LabelAudit;
import dev.tune4j.audit.ResponseAudit;
import dev.tune4j.io.OutputFolder;
import dev.tune4j.recipe.DataAudit;
import dev.tune4j.report.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "audit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Find the rows that do not deserve training, with the model itself.",
                "classification: K-fold out-of-sample probabilities and confident learning flag rows whose label disagrees with a confident",
                "prediction -> label-issues.jsonl. sft, preference: every response scored under the base decoder (per-token loss, length,",
                "repetition; empty responses; near-identical chosen/rejected pairs) -> response-scores.jsonl.",
                "Both write audit-report.json and report.html; --drop also writes kept.jsonl and rejects.jsonl."})
public final class DataAuditCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = ModelOptions.MODEL_HELP + " (sft, preference: a decoder)")
    String model;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "FILE", description = "Rows to audit: JSONL, JSON, CSV/TSV or Parquet, read and cleaned as `data prepare` does.")
    List<Path> data = new ArrayList<>();

    @Option(names = "--task", required = true, paramLabel = "TASK", description = "classification, sft (instruction or chat rows) or preference.")
    String task;

    @Option(names = "--field", paramLabel = "CANONICAL=SOURCE", description = "Map a source field to a canonical one, e.g. --field text=body --field label=category.")
    Map<String, String> fields = new LinkedHashMap<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the audit.")
    Path out;

    @Option(names = "--folds", defaultValue = "5", paramLabel = "K", description = "classification: cross-validation folds (default: ${DEFAULT-VALUE}).")
    int folds;

    @Option(names = "--method", defaultValue = "head", paramLabel = "METHOD",
            description = "classification: head (a softmax head per fold on embeddings computed once; fast) or lora (LoRA fine-tuning per fold; slow). Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N", description = "--method lora: epochs per fold (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--max-length", defaultValue = "128", paramLabel = "N", description = "Tokens read per text (sft, preference: per prompt and response) (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Seed of the folds and the fold models (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--drop", description = "Also write kept.jsonl (rows not flagged) and rejects.jsonl (flagged rows with their reason).")
    boolean drop;

    @Option(names = "--max-loss", paramLabel = "NATS", description = "sft, preference: flag responses whose loss per token is above this.") Double maxLoss;
    @Option(names = "--min-loss", paramLabel = "NATS", description = "sft, preference: flag responses whose loss per token is below this.") Double minLoss;
    @Option(names = "--max-repetition", paramLabel = "R", description = "sft, preference: flag responses with more than this share of repeated token 4-grams.") Double maxRepetition;
    @Option(names = "--min-tokens", defaultValue = "0", paramLabel = "N", description = "sft, preference: flag responses with fewer tokens.") int minTokens;
    @Option(names = "--max-tokens", defaultValue = "0", paramLabel = "N", description = "sft, preference: flag responses with more tokens (0: no limit).") int maxTokens;

    @Option(names = "--max-pair-similarity", defaultValue = "0.8", paramLabel = "J",
            description = "preference: chosen and rejected at least this similar (Jaccard of word 3-grams) are a defect (default: ${DEFAULT-VALUE}).")
    double maxPairSimilarity;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        if (folds < 2 || folds > 100) throw new IllegalArgumentException("--folds must be in [2, 100], got " + folds);
        if (epochs < 1 || epochs > 1000) throw new IllegalArgumentException("--epochs must be in [1, 1000], got " + epochs);
        if (maxLength < 2) throw new IllegalArgumentException("--max-length must be at least 2, got " + maxLength);
        if (maxRepetition != null && !(maxRepetition >= 0 && maxRepetition <= 1)) throw new IllegalArgumentException("--max-repetition must be in [0, 1], got " + maxRepetition);
        if (minTokens < 0 || maxTokens < 0) throw new IllegalArgumentException("--min-tokens and --max-tokens must be >= 0");
        if (!(maxPairSimilarity > 0 && maxPairSimilarity <= 1)) throw new IllegalArgumentException("--max-pair-similarity must be in (0, 1], got " + maxPairSimilarity);
        boolean thresholds = maxLoss != null || minLoss != null || maxRepetition != null || minTokens > 0 || maxTokens > 0;
        if (task.equals("classification") && thresholds) throw new IllegalArgumentException("--max-loss, --min-loss, --max-repetition, --min-tokens and --max-tokens apply to --task sft or preference");
        OutputFolder.requireWritable(out, "--out");
        ResponseAudit.Thresholds t = new ResponseAudit.Thresholds(maxLoss == null ? Double.NaN : maxLoss, minLoss == null ? Double.NaN : minLoss,
                maxRepetition == null ? 1 : maxRepetition, minTokens, maxTokens, maxPairSimilarity);
        Map<String, Object> r = DataAudit.run(new DataAudit.Options(model, data, task, fields, folds, LabelAudit.Method.parse(method), seed,
                maxLength, epochs, drop, t, out));
        PrintWriter o = spec.commandLine().getOut();
        boolean labels = "label_audit".equals(r.get("kind"));
        long flagged = ((Number) r.get(labels ? "issues" : "flagged")).longValue();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", "data audit");
            m.put("out", out.toString());
            m.put("task", task);
            m.put("rows", r.get("rows"));
            m.put("flagged", flagged);
            m.put(labels ? "issue_pairs" : "reasons", r.get(labels ? "issue_pairs" : "reasons"));
            m.put("dropped", r.get("dropped"));
            m.put("seconds", r.get("seconds"));
            o.println(Json.line(m));
        } else {
            o.printf("tune4j data audit: %s rows, %d flagged%s -> %s%n", r.get("rows"), flagged, drop ? " and dropped" : "", out);
            if (labels) {
                o.printf("  %s, %s-fold; fold models on held-out rows: %s%n", method, folds, r.get("held_out"));
                for (Object p : (List<?>) r.get("issue_pairs")) {
                    Map<?, ?> m = (Map<?, ?>) p;
                    o.printf("  given %-16s suggested %-16s %6s rows%n", m.get("given_label"), m.get("suggested_label"), m.get("rows"));
                }
            } else {
                ((Map<?, ?>) r.get("reasons")).forEach((k, v) -> o.printf("  %-20s %6s rows%n", k, v));
            }
            o.printf("  see %s and %s%n", out.resolve(labels ? AuditOutput.LABEL_ISSUES : AuditOutput.RESPONSE_SCORES), out.resolve(AuditOutput.HTML));
        }
        o.flush();
        return 0;
    }
}
