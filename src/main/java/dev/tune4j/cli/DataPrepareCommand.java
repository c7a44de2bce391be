package dev.tune4j.cli;

import dev.tune4j.data.DataPipeline;
import dev.tune4j.data.PrepareConfig;
import dev.tune4j.data.PrepareResult;
import dev.tune4j.data.PreparedWriter;
import dev.tune4j.data.Schema;
import dev.tune4j.data.SplitSpec;
import dev.tune4j.data.TokenCounter;
import dev.tune4j.data.clean.Cleaner;
import dev.tune4j.data.dedup.NearDuplicates;
import dev.tune4j.data.input.InputFormat;
import dev.tune4j.io.OutputFolder;
import dev.tune4j.data.input.TextUnit;
import dev.tune4j.report.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Turn raw files into a clean, deduplicated, validated, split data set, and say what was done to every row.",
                "Writes train/validation/test.jsonl, labels.json (classification), rejects.jsonl, leakage.jsonl, dataset.json,",
                "data-report.json and data-report.html (layout: docs/data-format.md).",
                "Exit status: 0 done, 1 bad input, 2 bad usage, 3 leakage found with --fail-on-leakage."},
        footer = {"", "Rules that --disable takes: mail, html, unicode_nfc, control_chars, whitespace, empty, missing_response, "
                + "exact_duplicates, near_duplicates, leakage.", "Options can also be read from a file: tune4j data prepare @options.txt"})
public final class DataPrepareCommand implements Callable<Integer> {

    /** Exit status when --fail-on-leakage finds leaks (picocli uses 2 for usage errors). */
    public static final int LEAKAGE_EXIT = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-i", "--input"}, arity = "1..*", required = true, paramLabel = "FILE",
            description = "Input files or folders: JSONL, JSON arrays, CSV/TSV (with header), Parquet, plain text (.gz too).")
    List<Path> inputs = new ArrayList<>();

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Folder for the prepared data set.")
    Path out;

    @Option(names = "--format", paramLabel = "FORMAT", description = "Read every input as jsonl, json, csv, tsv, parquet or text (default: by extension).")
    String format;

    @Option(names = "--text-unit", defaultValue = "line", paramLabel = "UNIT", description = "Plain text rows: line, paragraph or file (default: ${DEFAULT-VALUE}).")
    String textUnit;

    @Option(names = "--schema", defaultValue = "auto", paramLabel = "SCHEMA",
            description = "text, classification, instruction, chat, preference, or auto to detect from the fields (default).")
    String schema;

    @Option(names = "--field", paramLabel = "CANONICAL=SOURCE", description = "Map a source field to a canonical one, e.g. --field text=body --field label=category.")
    Map<String, String> fields = new LinkedHashMap<>();

    @Option(names = "--labels", split = ",", paramLabel = "LABEL", description = "Allowed labels (classification); rows with others are rejected.")
    List<String> labels;

    @Option(names = "--disable", split = ",", paramLabel = "RULE", description = "Switch rules off (see the list below).")
    List<String> disable = new ArrayList<>();

    @Option(names = "--mail", description = "Treat all text as e-mail (by default only text that starts with RFC 822 headers).")
    boolean mailOn;

    @Option(names = "--mail-keep-subject", description = "Keep an e-mail's Subject as the first line of its text.")
    boolean keepSubject;

    @Option(names = "--min-chars", defaultValue = "0", paramLabel = "N", description = "Reject rows with fewer characters (all text of the row).") int minChars;
    @Option(names = "--max-chars", paramLabel = "N", description = "Reject rows with more characters.") Integer maxChars;
    @Option(names = "--min-tokens", defaultValue = "0", paramLabel = "N", description = "Reject rows with fewer tokens (see --tokenizer).") int minTokens;
    @Option(names = "--max-tokens", paramLabel = "N", description = "Reject rows with more tokens.") Integer maxTokens;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "tokenizer.json (or a folder with one) of the target model, for token lengths (default: an approximation).")
    Path tokenizer;

    @Option(names = "--no-dedup", description = "No exact or near-duplicate removal (the leakage check still runs).")
    boolean noDedup;

    @Option(names = "--dedup-on", defaultValue = "both", paramLabel = "SIDE",
            description = "Instruction, chat and preference data: duplicates by prompt, response or both (default).")
    String dedupOn;

    @Option(names = "--conflicts", defaultValue = "drop", paramLabel = "POLICY",
            description = "Same text, different labels: drop all such rows (default) or keep-first.")
    String conflicts;

    @Option(names = "--near-threshold", defaultValue = "0.8", paramLabel = "J", description = "Jaccard similarity for near duplicates (default: ${DEFAULT-VALUE}).")
    double nearThreshold;

    @Option(names = "--shingle", defaultValue = "word:3", paramLabel = "UNIT:N", description = "Shingles: word:N or char:N (default: ${DEFAULT-VALUE}).")
    String shingle;

    @Option(names = "--minhash-perm", defaultValue = "128", paramLabel = "K", description = "MinHash functions, at most 1024 (default: ${DEFAULT-VALUE}).") int numPerm;
    @Option(names = "--lsh-bands", paramLabel = "B", description = "LSH bands, at most K (default: chosen from the threshold).") Integer bands;

    @Option(names = "--split", defaultValue = "0.8/0.1/0.1", paramLabel = "SPEC",
            description = "train/validation/test as ratios, counts or rest: 0.8/0.1/0.1, rest/400/1000, train=rest,validation=400,test=1000.")
    String split;

    @Option(names = "--no-stratify", description = "Do not stratify classification splits by label.")
    boolean noStratify;

    @Option(names = "--split-key", paramLabel = "FIELD", description = "Rows with the same value of FIELD always land in the same split.")
    String splitKey;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Seed of the split and the MinHash functions (default: ${DEFAULT-VALUE}).") long seed;

    @Option(names = "--fail-on-leakage", description = "Exit with status 3 when a validation or test row repeats a training row.")
    boolean failOnLeakage;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        PrepareConfig cfg = config();
        OutputFolder.requireWritable(cfg.out, "--out");
        PrepareResult res = DataPipeline.run(cfg);
        // A data set without rows is no data set: fail before anything is written.
        if (res.kept.isEmpty()) throw new IllegalArgumentException("no usable rows: " + res.noRowsReason());
        Map<String, Object> report = PreparedWriter.write(res, cfg);
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean failed = cfg.failOnLeakage && !res.leaks.isEmpty();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", "data prepare");
            m.put("out", cfg.out.toString());
            m.put("schema", report.get("schema"));
            m.put("rows_in", res.rowsIn);
            m.put("rows_out", res.rowsOut());
            m.put("counts", res.counts);
            m.put("splits", report.get("splits"));
            Map<String, Object> leak = new LinkedHashMap<>();
            leak.put("exact", res.leaks.stream().filter(l -> l.kind().equals("exact")).count());
            leak.put("near", res.leaks.stream().filter(l -> l.kind().equals("near")).count());
            leak.put("failed", failed);
            m.put("leakage", leak);
            m.put("seconds", res.seconds);
            o.println(Json.line(m));
        } else {
            printSummary(o, res, cfg);
        }
        o.flush();
        for (PrepareResult.InputStat s : res.inputs) {
            if (s.error() != null) err.println("tune4j: warning: " + s.file() + " could not be read: " + s.error());
        }
        for (String w : res.warnings) err.println("tune4j: warning: " + w);
        if (failed) {
            err.println("tune4j: leakage: " + res.leaks.size() + " validation/test rows repeat a training row (see "
                    + cfg.out.resolve("data-report.html") + ")");
            err.flush();
            return LEAKAGE_EXIT;
        }
        return 0;
    }

    PrepareConfig config() {
        PrepareConfig c = new PrepareConfig();
        c.inputs = inputs;
        c.out = out;
        c.format = format == null || format.equalsIgnoreCase("auto") ? null : InputFormat.parse(format);
        c.textUnit = TextUnit.parse(textUnit);
        c.schema = schema.equalsIgnoreCase("auto") ? null : Schema.parse(schema);
        c.fields = fields;
        c.allowedLabels = labels == null ? null : new LinkedHashSet<>(labels.stream().map(String::strip).toList());
        EnumSet<Cleaner.Rule> cleaning = EnumSet.allOf(Cleaner.Rule.class);
        for (String d : disable) {
            String r = d.strip().toLowerCase(Locale.ROOT).replace('-', '_');
            switch (r) {
                case "mail", "html", "unicode_nfc", "control_chars", "whitespace" -> cleaning.remove(Cleaner.Rule.valueOf(r.toUpperCase(Locale.ROOT)));
                case "empty" -> c.dropEmpty = false;
                case "missing_response" -> c.requireResponse = false;
                case "exact_duplicates" -> c.exactDedup = false;
                case "near_duplicates" -> c.nearDedup = false;
                case "leakage" -> c.checkLeakage = false;
                default -> throw new IllegalArgumentException("--disable " + d + ": unknown rule (expected mail, html, unicode_nfc, control_chars, "
                        + "whitespace, empty, missing_response, exact_duplicates, near_duplicates or leakage)");
            }
        }
        c.cleaning = cleaning;
        if (mailOn && !cleaning.contains(Cleaner.Rule.MAIL)) throw new IllegalArgumentException("--mail and --disable mail contradict each other");
        c.mail = mailOn ? Cleaner.MailMode.ON : Cleaner.MailMode.AUTO;
        c.mailKeepSubject = keepSubject;
        c.minChars = atLeast("--min-chars", minChars, 0);
        c.maxChars = maxChars == null ? Integer.MAX_VALUE : atLeast("--max-chars", maxChars, 1);
        c.minTokens = atLeast("--min-tokens", minTokens, 0);
        c.maxTokens = maxTokens == null ? Integer.MAX_VALUE : atLeast("--max-tokens", maxTokens, 1);
        if (c.minChars > c.maxChars) throw new IllegalArgumentException("--min-chars " + c.minChars + " is above --max-chars " + c.maxChars);
        if (c.minTokens > c.maxTokens) throw new IllegalArgumentException("--min-tokens " + c.minTokens + " is above --max-tokens " + c.maxTokens);
        if (tokenizer != null) c.tokens = TokenCounter.huggingFace(tokenizer);
        if (noDedup) {
            c.exactDedup = false;
            c.nearDedup = false;
        }
        c.dedupSide = Schema.Side.parse(dedupOn);
        c.conflicts = PrepareConfig.ConflictPolicy.parse(conflicts);
        if (!(nearThreshold > 0 && nearThreshold <= 1)) throw new IllegalArgumentException("--near-threshold must be in (0, 1], got " + nearThreshold);
        int maxPerm = NearDuplicates.Config.MAX_PERMUTATIONS;
        if (numPerm < 1 || numPerm > maxPerm) throw new IllegalArgumentException("--minhash-perm must be in [1, " + maxPerm + "], got " + numPerm);
        if (bands != null && (bands < 1 || bands > numPerm)) {
            throw new IllegalArgumentException("--lsh-bands must be in [1, " + numPerm + "] (--minhash-perm), got " + bands);
        }
        try {
            c.near = NearDuplicates.Config.of(shingle, nearThreshold, numPerm, bands == null ? 0 : bands, seed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--shingle " + shingle + ": " + e.getMessage(), e);
        }
        c.split = SplitSpec.parse(split);
        c.stratify = !noStratify;
        c.splitKey = splitKey;
        c.seed = seed;
        c.failOnLeakage = failOnLeakage;
        if (failOnLeakage && !c.checkLeakage) throw new IllegalArgumentException("--fail-on-leakage and --disable leakage contradict each other");
        return c;
    }

    private static int atLeast(String option, int value, int min) {
        if (value < min) throw new IllegalArgumentException(option + " must be >= " + min + ", got " + value);
        return value;
    }

    private static void printSummary(PrintWriter o, PrepareResult res, PrepareConfig cfg) {
        o.printf("tune4j data prepare: %d rows in, %d rows out -> %s%n", res.rowsIn, res.rowsOut(), cfg.out);
        o.printf("  schema: %s%n", res.mapping.describe());
        o.printf("  %-22s %9s %9s %9s%n", "rule", "rows in", "rows out", "affected");
        for (PrepareResult.RuleStat s : res.rules) {
            if (!s.enabled() && s.affected() == 0) continue;
            if (s.stage().equals("read") && s.affected() == 0) continue;
            o.printf("  %-22s %9d %9d %9s%n", s.rule(), s.rowsIn(), s.rowsOut(),
                    s.affected() + (s.kind().equals("change") ? " changed" : " dropped"));
        }
        if (res.count("unreadable_file") > 0) o.printf("  unreadable files: %d (see rejects.jsonl)%n", res.count("unreadable_file"));
        o.printf("  near duplicates: threshold %.2f, %d bands x %d rows, %d candidate pairs verified exactly%n",
                cfg.near.threshold(), res.nearBands, res.nearRowsPerBand, res.nearCandidatePairs);
        if (!res.conflicts.isEmpty()) {
            o.printf("  conflicting labels: %d groups of identical text with different labels (%d rows, policy %s)%n",
                    res.conflicts.size(), res.conflictRows, cfg.conflicts.name().toLowerCase().replace('_', '-'));
        }
        o.printf("  splits: train %d, validation %d, test %d%s%s%n", res.splitSize(0), res.splitSize(1), res.splitSize(2),
                cfg.stratify && res.mapping.schema == Schema.CLASSIFICATION ? " (stratified by label)" : "",
                cfg.splitKey != null ? " (grouped by " + cfg.splitKey + ")" : "");
        if (res.leakageChecked) {
            long ex = res.leaks.stream().filter(l -> l.kind().equals("exact")).count();
            o.printf("  leakage: %s%n", res.leaks.isEmpty() ? "none" : res.leaks.size() + " validation/test rows repeat a training row ("
                    + ex + " exact, " + (res.leaks.size() - ex) + " near)");
        }
        o.printf("  report: %s%n", cfg.out.resolve("data-report.html"));
    }
}
