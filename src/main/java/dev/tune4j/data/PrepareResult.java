package dev.tune4j.data;

import dev.tune4j.data.input.Inputs;

import java.util.List;
import java.util.Map;

/** What {@link DataPipeline#run} produced and decided, for the writer, the report and tests. */
public final class PrepareResult {

    /** One rule's effect: rows in and out, and rows it changed (cleaning) or dropped (filters, duplicates). */
    public record RuleStat(String rule, String stage, String kind, boolean enabled, long rowsIn, long rowsOut, long affected) {}

    /** Per input file: rows read and rejected while reading. */
    public record InputStat(String file, String format, long records, long rejected, String skipped, String error) {}

    /** A group of rows the deduplication treated as one: the kept row and the rows it replaced. */
    public record Cluster(Example kept, List<Example> members, List<Double> similarity, boolean conflicting) {}

    /** A validation or test row that repeats a training row. */
    public record Leak(String split, Example row, Example trainRow, String kind, double similarity) {}

    public SchemaMapping mapping;
    public List<Inputs.InputFile> files;
    public List<InputStat> inputs;
    public long rowsIn;
    public List<RuleStat> rules;
    /** Rule name -> rows it dropped (filters, duplicates, read errors) or changed (cleaning rules). */
    public Map<String, Long> counts;
    public List<Reject> rejects;
    /** Allowed but suspicious input, one sentence each (see {@link SchemaMapping#warnings}). */
    public List<String> warnings = List.of();

    /** The kept rows in input order, and their split (0 train, 1 validation, 2 test). */
    public List<Example> kept;
    public int[] split;

    public Histogram charsBefore, charsAfter, tokensBefore, tokensAfter;

    public List<Cluster> exactClusters;
    public List<Cluster> nearClusters;
    public List<Cluster> conflicts;
    public long conflictRows;
    public long nearCandidatePairs;
    public int nearBands, nearRowsPerBand;

    public List<Leak> leaks;
    public boolean leakageChecked;
    public long splitKeyMissing;

    public Map<String, Double> seconds;

    public long rowsOut() {
        return kept.size();
    }

    public int splitSize(int s) {
        int c = 0;
        for (int v : split) if (v == s) c++;
        return c;
    }

    public long count(String rule) {
        return counts.getOrDefault(rule, 0L);
    }

    /**
     * Why no row was kept, in one line: the files that could not be read, an input without rows,
     * or how many rows each rule dropped and the first dropped row's reason.
     */
    public String noRowsReason() {
        List<InputStat> unreadable = inputs.stream().filter(s -> s.error() != null).toList();
        if (rowsIn == 0) {
            if (!unreadable.isEmpty()) {
                InputStat f = unreadable.getFirst();
                return (unreadable.size() == 1 ? "" : unreadable.size() + " files cannot be read; the first: ") + "cannot read " + f.file() + " as "
                        + f.format() + ": " + f.error();
            }
            long read = inputs.stream().filter(s -> s.skipped() == null).count();
            if (read == 0) return "no input file to read" + (inputs.isEmpty() ? "" : " (" + inputs.size() + " skipped: " + inputs.getFirst().skipped() + ", ...)");
            return "the input holds no rows (" + (read == 1 ? inputs.stream().filter(s -> s.skipped() == null).findFirst().orElseThrow().file() + " is empty" : "its files are empty") + ")";
        }
        StringBuilder why = new StringBuilder(rowsIn + " rows read, every one dropped (");
        int n = 0;
        for (Map.Entry<String, Long> c : counts.entrySet()) {
            if (c.getValue() > 0 && !c.getKey().startsWith("rows_") && isDrop(c.getKey())) why.append(n++ == 0 ? "" : ", ").append(c.getValue()).append(' ').append(c.getKey());
        }
        why.append(')');
        rejects.stream().filter(r -> !r.reason().equals("unreadable_file")).findFirst()
                .ifPresent(r -> why.append("; the first, ").append(r.detail().startsWith(r.origin() + ":") ? "" : r.origin() + ": ").append(r.detail()));
        return why.toString();
    }

    private boolean isDrop(String rule) {
        return rules.stream().anyMatch(r -> r.rule().equals(rule) && r.kind().equals("drop"));
    }
}
