package dev.tune4j.data;

import dev.tune4j.data.clean.Cleaner;
import dev.tune4j.data.dedup.ExactKey;
import dev.tune4j.data.dedup.NearDuplicates;
import dev.tune4j.data.input.Inputs;
import dev.tune4j.data.input.RawRow;
import dev.tune4j.data.input.RowSink;
import dev.tune4j.kernel.Parallel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The data preparation pipeline: read, map to a schema, clean, filter, drop exact then near
 * duplicates, split, check for leakage. Every row that leaves is a {@link Reject} with its reason;
 * every rule's rows in and out are counted. Deterministic for given inputs, options and seed.
 */
public final class DataPipeline {
    private DataPipeline() {}

    /** Filters and duplicate rules in the order they run; each is a count in the report. */
    public static final List<String> READ_RULES = List.of("unreadable_file", "malformed", "invalid_utf8", "missing_field", "invalid_field");
    public static final List<String> FILTER_RULES = List.of("empty", "missing_response", "label_not_allowed",
            "too_short_chars", "too_long_chars", "too_short_tokens", "too_long_tokens");
    public static final List<String> DUPLICATE_RULES = List.of("conflicting_labels", "exact_duplicates", "near_duplicates");

    /** Rows the schema is decided on. */
    static final int SAMPLE = 1000;

    public static PrepareResult run(PrepareConfig cfg) {
        if (cfg.inputs.isEmpty()) throw new IllegalArgumentException("no input given (--input FILE...)");
        requireOutputApart(cfg);
        PrepareResult res = new PrepareResult();
        res.seconds = new LinkedHashMap<>();
        res.rejects = new ArrayList<>();
        res.rules = new ArrayList<>();
        res.counts = new LinkedHashMap<>();
        long t = System.nanoTime();

        // ---- read and map to the schema
        Ingest ingest = new Ingest(cfg, res.rejects);
        res.files = Inputs.expand(cfg.inputs, cfg.format, cfg.out);
        res.inputs = new ArrayList<>();
        for (Inputs.InputFile f : res.files) {
            if (f.skipped() != null) {
                res.inputs.add(new PrepareResult.InputStat(f.name(), null, 0, 0, f.skipped(), null));
                continue;
            }
            ingest.fileRecords = 0;
            ingest.fileRejected = 0;
            String error = Inputs.read(f, cfg.textUnit, ingest);
            res.inputs.add(new PrepareResult.InputStat(f.name(), f.format().name().toLowerCase(), ingest.fileRecords, ingest.fileRejected, null, error));
        }
        ingest.finish();
        res.mapping = ingest.mapping;
        res.warnings = res.mapping.warnings();
        List<Example> rows = ingest.examples;
        res.rowsIn = ingest.records;
        Map<String, Long> readRejects = new HashMap<>();
        for (Reject r : res.rejects) readRejects.merge(r.reason(), 1L, Long::sum);
        long in = res.rowsIn;
        for (String rule : READ_RULES) {
            long d = readRejects.getOrDefault(rule, 0L);
            if (rule.equals("unreadable_file")) {       // a file, not a row: counted, but it removes no row that was read
                res.counts.put(rule, d);
                continue;
            }
            res.rules.add(new PrepareResult.RuleStat(rule, "read", "drop", true, in, in - d, d));
            res.counts.put(rule, d);
            in -= d;
        }
        int[] charsBefore = new int[rows.size()];
        int[] tokensBefore = tokens(rows, cfg.tokens);
        for (int i = 0; i < rows.size(); i++) charsBefore[i] = rows.get(i).chars();
        res.seconds.put("read", secondsSince(t));

        // ---- clean
        t = System.nanoTime();
        Cleaner total = new Cleaner(cfg.cleaning, cfg.mail, cfg.mailKeepSubject);
        List<Example> cleaned = clean(rows, cfg, total);
        rows = null;                    // the raw rows are not needed any more: let them go before deduplication
        ingest.examples.clear();
        Map<Cleaner.Rule, Long> changed = total.changedCounts();
        for (Cleaner.Rule r : Cleaner.Rule.values()) {
            boolean on = total.enabled(r);
            res.rules.add(new PrepareResult.RuleStat(r.id(), "clean", "change", on, cleaned.size(), cleaned.size(), changed.get(r)));
            res.counts.put(r.id(), changed.get(r));
        }
        res.seconds.put("clean", secondsSince(t));

        // ---- filter
        t = System.nanoTime();
        int[] tokensAfterClean = tokens(cleaned, cfg.tokens);
        Map<String, Long> dropped = new LinkedHashMap<>();
        for (String r : FILTER_RULES) dropped.put(r, 0L);
        List<Example> filtered = new ArrayList<>(cleaned.size());
        List<Integer> filteredTokens = new ArrayList<>(cleaned.size());
        for (int i = 0; i < cleaned.size(); i++) {
            Example e = cleaned.get(i);
            String[] why = filter(e, tokensAfterClean[i], cfg);
            if (why == null) {
                filtered.add(e);
                filteredTokens.add(tokensAfterClean[i]);
            } else {
                dropped.merge(why[0], 1L, Long::sum);
                res.rejects.add(new Reject(why[0], why[1], e.origin, e.toJson()));
            }
        }
        in = cleaned.size();
        for (String r : FILTER_RULES) {
            long d = dropped.get(r);
            res.rules.add(new PrepareResult.RuleStat(r, "filter", "drop", filterEnabled(r, cfg), in, in - d, d));
            res.counts.put(r, d);
            in -= d;
        }
        res.seconds.put("filter", secondsSince(t));

        // ---- exact duplicates (and label conflicts)
        t = System.nanoTime();
        ExactKey[] keys = new ExactKey[filtered.size()];
        Parallel.forRange(filtered.size(), 256, (s, e) -> {
            for (int i = s; i < e; i++) keys[i] = ExactKey.of(filtered.get(i).content(cfg.dedupSide));
        });
        // groups of rows sharing a key, in order of first appearance (lists only for keys seen twice)
        Map<ExactKey, Integer> firstWithKey = new HashMap<>(keys.length * 2);
        Map<Integer, List<Integer>> repeated = new java.util.TreeMap<>();
        for (int i = 0; i < keys.length; i++) {
            Integer f = firstWithKey.putIfAbsent(keys[i], i);
            if (f != null) repeated.computeIfAbsent(f, k -> new ArrayList<>(List.of(k))).add(i);
        }
        firstWithKey = null;
        Collection<List<Integer>> groups = repeated.values();
        boolean[] drop = new boolean[filtered.size()];
        long exactDropped = 0, conflictDropped = 0;
        res.exactClusters = new ArrayList<>();
        res.conflicts = new ArrayList<>();
        for (List<Integer> g : groups) {
            if (g.size() < 2) continue;
            Example first = filtered.get(g.get(0));
            boolean conflict = false;
            if (res.mapping.schema == Schema.CLASSIFICATION) {
                for (int i : g) conflict |= !filtered.get(i).label.equals(first.label);
            }
            List<Example> members = new ArrayList<>();
            List<Double> sims = new ArrayList<>();
            for (int k = 1; k < g.size(); k++) {
                members.add(filtered.get(g.get(k)));
                sims.add(1.0);
            }
            PrepareResult.Cluster cluster = new PrepareResult.Cluster(first, members, sims, conflict);
            if (conflict) {
                res.conflicts.add(cluster);
                res.conflictRows += g.size();
            }
            if (!cfg.exactDedup) continue;
            if (conflict && cfg.conflicts == PrepareConfig.ConflictPolicy.DROP) {
                Set<String> labels = new LinkedHashSet<>();
                for (int i : g) labels.add(filtered.get(i).label);
                for (int i : g) {
                    drop[i] = true;
                    conflictDropped++;
                    Example e = filtered.get(i);
                    res.rejects.add(new Reject("conflicting_labels", "the same text appears " + g.size() + " times with different labels "
                            + labels + " (first at " + first.origin + ")", e.origin, e.toJson(), i == g.get(0) ? null : first.origin, 1.0));
                }
                continue;
            }
            res.exactClusters.add(cluster);
            for (int k = 1; k < g.size(); k++) {
                int i = g.get(k);
                drop[i] = true;
                exactDropped++;
                Example e = filtered.get(i);
                String note = conflict ? " (label '" + e.label + "', kept row's label '" + first.label + "')" : "";
                res.rejects.add(new Reject("exact_duplicates", "same normalised content as " + first.origin + note, e.origin, e.toJson(), first.origin, 1.0));
            }
        }
        List<Example> unique = new ArrayList<>();
        List<Integer> uniqueTokens = new ArrayList<>();
        List<ExactKey> uniqueKeys = new ArrayList<>();
        for (int i = 0; i < filtered.size(); i++) {
            if (drop[i]) continue;
            unique.add(filtered.get(i));
            uniqueTokens.add(filteredTokens.get(i));
            uniqueKeys.add(keys[i]);
        }
        in = filtered.size();
        res.rules.add(new PrepareResult.RuleStat("conflicting_labels", "deduplicate", "drop",
                cfg.exactDedup && cfg.conflicts == PrepareConfig.ConflictPolicy.DROP, in, in - conflictDropped, conflictDropped));
        in -= conflictDropped;
        res.rules.add(new PrepareResult.RuleStat("exact_duplicates", "deduplicate", "drop", cfg.exactDedup, in, in - exactDropped, exactDropped));
        res.counts.put("conflicting_labels", conflictDropped);
        res.counts.put("exact_duplicates", exactDropped);
        res.seconds.put("exact_duplicates", secondsSince(t));

        // ---- near duplicates
        t = System.nanoTime();
        NearDuplicates index = null;
        if (cfg.nearDedup || cfg.checkLeakage) {
            List<String> contents = new ArrayList<>(unique.size());
            for (Example e : unique) contents.add(e.content(cfg.dedupSide));
            index = NearDuplicates.index(contents, cfg.near);
            res.nearBands = index.bands;
            res.nearRowsPerBand = index.rowsPerBand;
        }
        List<Example> kept = new ArrayList<>();
        List<Integer> keptTokens = new ArrayList<>();
        List<Integer> keptIndex = new ArrayList<>();
        res.nearClusters = new ArrayList<>();
        long nearDropped = 0;
        long conflictingNear = 0;
        if (cfg.nearDedup) {
            NearDuplicates.Result nd = index.deduplicate();
            res.nearCandidatePairs = nd.candidatePairs();
            Map<Integer, List<Integer>> clusters = new LinkedHashMap<>();
            for (int i = 0; i < unique.size(); i++) {
                int rep = nd.representativeOf(i);
                if (rep < 0) continue;
                clusters.computeIfAbsent(rep, k -> new ArrayList<>()).add(i);
                Example e = unique.get(i), r = unique.get(rep);
                boolean conflict = res.mapping.schema == Schema.CLASSIFICATION && !e.label.equals(r.label);
                if (conflict) conflictingNear++;
                res.rejects.add(new Reject("near_duplicates", String.format("Jaccard similarity %.3f to %s%s", nd.similarity()[i], r.origin,
                        conflict ? " (label '" + e.label + "', kept row's label '" + r.label + "')" : ""), e.origin, e.toJson(), r.origin, nd.similarity()[i]));
                nearDropped++;
            }
            for (Map.Entry<Integer, List<Integer>> c : clusters.entrySet()) {
                Example r = unique.get(c.getKey());
                List<Example> members = new ArrayList<>();
                List<Double> sims = new ArrayList<>();
                boolean conflict = false;
                for (int i : c.getValue()) {
                    members.add(unique.get(i));
                    sims.add((double) nd.similarity()[i]);
                    if (res.mapping.schema == Schema.CLASSIFICATION) conflict |= !unique.get(i).label.equals(r.label);
                }
                res.nearClusters.add(new PrepareResult.Cluster(r, members, sims, conflict));
            }
            for (int i = 0; i < unique.size(); i++) {
                if (nd.representativeOf(i) >= 0) continue;
                kept.add(unique.get(i));
                keptTokens.add(uniqueTokens.get(i));
                keptIndex.add(i);
            }
        } else {
            kept.addAll(unique);
            keptTokens.addAll(uniqueTokens);
            for (int i = 0; i < unique.size(); i++) keptIndex.add(i);
        }
        in = unique.size();
        res.rules.add(new PrepareResult.RuleStat("near_duplicates", "deduplicate", "drop", cfg.nearDedup, in, in - nearDropped, nearDropped));
        res.counts.put("near_duplicates", nearDropped);
        res.counts.put("conflicting_near_duplicates", conflictingNear);
        res.seconds.put("near_duplicates", secondsSince(t));

        // ---- split
        t = System.nanoTime();
        res.kept = kept;
        int n = kept.size();
        String[] identity = new String[n];
        String[] unitKey = cfg.splitKey == null ? null : new String[n];
        String[] labels = res.mapping.schema == Schema.CLASSIFICATION && cfg.stratify ? new String[n] : null;
        for (int i = 0; i < n; i++) {
            Example e = kept.get(i);
            // file name and line, not the path as typed: the same data split from another folder splits the same way
            identity[i] = java.nio.file.Path.of(e.origin.file()).getFileName() + ":" + e.origin.line();
            if (unitKey != null) {
                unitKey[i] = e.splitKey;
                if (e.splitKey == null) res.splitKeyMissing++;
            }
            if (labels != null) labels[i] = e.label;
        }
        res.split = Splitter.assign(identity, unitKey, labels, cfg.split, cfg.seed);
        res.seconds.put("split", secondsSince(t));

        // ---- leakage
        t = System.nanoTime();
        res.leaks = new ArrayList<>();
        res.leakageChecked = cfg.checkLeakage;
        if (cfg.checkLeakage) {
            Map<ExactKey, Integer> trainKeys = new HashMap<>();
            for (int i = 0; i < n; i++) if (res.split[i] == 0) trainKeys.putIfAbsent(uniqueKeys.get(keptIndex.get(i)), i);
            Set<Integer> leaked = new HashSet<>();
            for (int i = 0; i < n; i++) {
                if (res.split[i] == 0) continue;
                Integer tr = trainKeys.get(uniqueKeys.get(keptIndex.get(i)));
                if (tr != null) {
                    res.leaks.add(new PrepareResult.Leak(SplitSpec.NAMES.get(res.split[i]), kept.get(i), kept.get(tr), "exact", 1.0));
                    leaked.add(i);
                }
            }
            byte[] role = new byte[unique.size()];
            java.util.Arrays.fill(role, (byte) -1);
            int[] keptOfIndex = new int[unique.size()];
            for (int i = 0; i < n; i++) {
                int ix = keptIndex.get(i);
                keptOfIndex[ix] = i;
                role[ix] = (byte) (res.split[i] == 0 ? 0 : leaked.contains(i) ? -1 : 1);
            }
            for (NearDuplicates.Match m : index.crossMatches(role)) {
                int i = keptOfIndex[m.row()], tr = keptOfIndex[m.reference()];
                res.leaks.add(new PrepareResult.Leak(SplitSpec.NAMES.get(res.split[i]), kept.get(i), kept.get(tr), "near", m.similarity()));
            }
            res.leaks.sort(Comparator.comparing((PrepareResult.Leak l) -> l.row().origin.file()).thenComparingLong(l -> l.row().origin.line()));
        }
        res.seconds.put("leakage", secondsSince(t));

        // ---- histograms (shared bins, so before and after compare bin by bin)
        int[] charsAfter = new int[n];
        int[] tokensAfter = new int[n];
        for (int i = 0; i < n; i++) {
            charsAfter[i] = kept.get(i).chars();
            tokensAfter[i] = keptTokens.get(i);
        }
        long[] charEdges = Histogram.edgesUpTo(Math.max(max(charsBefore), max(charsAfter)));
        long[] tokenEdges = Histogram.edgesUpTo(Math.max(max(tokensBefore), max(tokensAfter)));
        res.charsBefore = Histogram.of(charsBefore, charEdges);
        res.charsAfter = Histogram.of(charsAfter, charEdges);
        res.tokensBefore = Histogram.of(tokensBefore, tokenEdges);
        res.tokensAfter = Histogram.of(tokensAfter, tokenEdges);
        res.counts = withTotals(res);
        return res;
    }

    /**
     * The output folder must not hold an input: writing there would replace input files or mix the
     * prepared splits with them (an output folder inside an input folder is fine: reading skips it).
     */
    private static void requireOutputApart(PrepareConfig cfg) {
        if (cfg.out == null) return;
        Path out = cfg.out.toAbsolutePath().normalize();
        for (Path in : cfg.inputs) {
            if (in.toAbsolutePath().normalize().startsWith(out)) {
                throw new IllegalArgumentException("the output folder " + cfg.out + (in.toAbsolutePath().normalize().equals(out) ? " is the input "
                        : " holds the input ") + in + "; writing the prepared data there would mix with or replace it: choose another --out");
            }
        }
    }

    private static Map<String, Long> withTotals(PrepareResult res) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("rows_in", res.rowsIn);
        m.putAll(res.counts);
        m.put("rows_out", (long) res.kept.size());
        return Collections.unmodifiableMap(m);
    }

    private static int max(int[] a) {
        int m = 0;
        for (int v : a) m = Math.max(m, v);
        return m;
    }

    private static double secondsSince(long t) {
        return Math.round((System.nanoTime() - t) / 1e6) / 1e3;
    }

    private static int[] tokens(List<Example> rows, TokenCounter counter) {
        int[] out = new int[rows.size()];
        Parallel.forRange(rows.size(), 64, (s, e) -> {
            for (int i = s; i < e; i++) {
                Example x = rows.get(i);
                int c = 0;
                for (String text : x.texts) c += counter.count(text);
                out[i] = c;
            }
        });
        return out;
    }

    private static List<Example> clean(List<Example> rows, PrepareConfig cfg, Cleaner total) {
        Example[] out = new Example[rows.size()];
        List<Cleaner> cleaners = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(rows.size(), 64, (s, e) -> {
            Cleaner c = new Cleaner(cfg.cleaning, cfg.mail, cfg.mailKeepSubject);
            for (int i = s; i < e; i++) out[i] = c.clean(rows.get(i));
            cleaners.add(c);
        });
        for (Cleaner c : cleaners) total.addCounts(c);
        return new ArrayList<>(List.of(out));
    }

    static boolean filterEnabled(String rule, PrepareConfig cfg) {
        return switch (rule) {
            case "empty" -> cfg.dropEmpty;
            case "missing_response" -> cfg.requireResponse;
            case "label_not_allowed" -> cfg.allowedLabels != null;
            case "too_short_chars" -> cfg.minChars > 0;
            case "too_long_chars" -> cfg.maxChars < Integer.MAX_VALUE;
            case "too_short_tokens" -> cfg.minTokens > 0;
            case "too_long_tokens" -> cfg.maxTokens < Integer.MAX_VALUE;
            default -> throw new IllegalArgumentException(rule);
        };
    }

    /** The first filter a row fails, as {rule, detail}, or null when it passes them all. */
    static String[] filter(Example e, int tokens, PrepareConfig cfg) {
        boolean promptEmpty = true, hasResponse = false, responseEmpty = false;
        switch (e.schema) {
            case TEXT, CLASSIFICATION -> promptEmpty = e.texts[0].isEmpty();
            case INSTRUCTION -> {
                promptEmpty = e.texts[0].isEmpty() && e.texts[1].isEmpty();
                hasResponse = true;
                responseEmpty = e.texts[2].isEmpty();
            }
            case PREFERENCE -> {
                promptEmpty = e.texts[0].isEmpty();
                hasResponse = true;
                responseEmpty = e.texts[1].isEmpty() || e.texts[2].isEmpty();
            }
            case CHAT -> {
                hasResponse = true;
                responseEmpty = true;
                for (int i = 0; i < e.texts.length; i++) {
                    if (e.isResponse(i)) responseEmpty &= e.texts[i].isEmpty();
                    else promptEmpty &= e.texts[i].isEmpty();
                }
            }
        }
        if (cfg.dropEmpty && promptEmpty) {
            return new String[] {"empty", e.schema == Schema.TEXT || e.schema == Schema.CLASSIFICATION
                    ? "no text left after cleaning" : "the prompt is empty after cleaning"};
        }
        if (cfg.requireResponse && hasResponse && responseEmpty) {
            return new String[] {"missing_response", switch (e.schema) {
                case INSTRUCTION -> "the output is empty";
                case PREFERENCE -> "the chosen or the rejected response is empty";
                default -> "no assistant message with content";
            }};
        }
        if (cfg.allowedLabels != null && e.label != null && !cfg.allowedLabels.contains(e.label)) {
            return new String[] {"label_not_allowed", "label '" + e.label + "' is not one of " + cfg.allowedLabels};
        }
        int chars = e.chars();
        if (chars < cfg.minChars) return new String[] {"too_short_chars", chars + " characters, fewer than " + cfg.minChars};
        if (chars > cfg.maxChars) return new String[] {"too_long_chars", chars + " characters, more than " + cfg.maxChars};
        if (tokens < cfg.minTokens) return new String[] {"too_short_tokens", tokens + " tokens, fewer than " + cfg.minTokens};
        if (tokens > cfg.maxTokens) return new String[] {"too_long_tokens", tokens + " tokens, more than " + cfg.maxTokens};
        return null;
    }

    /** Collects rows, decides the schema from the first ones, and converts each row to an example. */
    private static final class Ingest implements RowSink {
        final PrepareConfig cfg;
        final List<Reject> rejects;
        final List<RawRow> sample = new ArrayList<>();
        final List<Example> examples = new ArrayList<>();
        SchemaMapping mapping;
        long records, fileRecords, fileRejected;

        Ingest(PrepareConfig cfg, List<Reject> rejects) {
            this.cfg = cfg;
            this.rejects = rejects;
        }

        @Override
        public void row(RawRow row) {
            records++;
            fileRecords++;
            if (mapping == null) {
                sample.add(row);
                if (sample.size() >= SAMPLE) decide();
            } else {
                convert(row);
            }
        }

        @Override
        public void reject(Reject r) {
            if (!r.reason().equals("unreadable_file")) {
                records++;
                fileRecords++;
            }
            fileRejected++;
            rejects.add(r);
        }

        private void decide() {
            mapping = SchemaMapping.detect(sample, cfg.schema, cfg.fields, cfg.splitKey);
            for (RawRow r : sample) convert(r);
            sample.clear();
        }

        private void convert(RawRow row) {
            Object o = mapping.convert(row);
            if (o instanceof Example e) {
                examples.add(e);
            } else {
                Reject r = (Reject) o;
                rejects.add(r);
                fileRejected++;
            }
        }

        void finish() {
            if (mapping != null) return;
            if (!sample.isEmpty()) {
                decide();
                return;
            }
            // Nothing readable: an empty data set, still with its rejects and report.
            Schema s = cfg.schema != null ? cfg.schema : Schema.TEXT;
            Map<String, String> f = new LinkedHashMap<>();
            for (String c : s.fields) f.put(c, cfg.fields.getOrDefault(c, c));
            mapping = new SchemaMapping(s, f, cfg.splitKey);
        }
    }
}
