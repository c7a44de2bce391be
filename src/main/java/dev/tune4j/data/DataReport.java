package dev.tune4j.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds {@code data-report.json}: what the pipeline did to the data, rule by rule (see docs/data-format.md). */
public final class DataReport {
    /** Bumped when a field of the report or the prepared folder changes meaning. */
    public static final int FORMAT_VERSION = 1;

    private DataReport() {}

    public static Map<String, Object> build(PrepareResult res, PrepareConfig cfg) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("report", "tune4j data prepare");
        r.put("format_version", FORMAT_VERSION);
        r.put("schema", res.mapping.schema.id());
        r.put("fields", res.mapping.fields);
        r.put("rows_in", res.rowsIn);
        r.put("rows_out", res.rowsOut());
        r.put("counts", res.counts);
        r.put("warnings", res.warnings);

        List<Map<String, Object>> rules = new ArrayList<>();
        for (PrepareResult.RuleStat s : res.rules) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rule", s.rule());
            m.put("stage", s.stage());
            m.put("enabled", s.enabled());
            m.put("rows_in", s.rowsIn());
            m.put("rows_out", s.rowsOut());
            m.put(s.kind().equals("change") ? "changed" : "dropped", s.affected());
            rules.add(m);
        }
        r.put("rules", rules);

        List<Map<String, Object>> inputs = new ArrayList<>();
        for (PrepareResult.InputStat s : res.inputs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", s.file());
            if (s.skipped() != null) {
                m.put("skipped", s.skipped());
            } else {
                m.put("format", s.format());
                m.put("records", s.records());
                m.put("rejected", s.rejected());
                if (s.error() != null) m.put("error", s.error());
            }
            inputs.add(m);
        }
        r.put("inputs", inputs);

        Map<String, Object> splits = new LinkedHashMap<>();
        for (int s = 0; s < 3; s++) splits.put(SplitSpec.NAMES.get(s), res.splitSize(s));
        r.put("splits", splits);

        if (res.mapping.schema == Schema.CLASSIFICATION) r.put("labels", labelCounts(res));

        Map<String, Object> lengths = new LinkedHashMap<>();
        lengths.put("token_counter", cfg.tokens.name());
        lengths.put("chars", Map.of("before", res.charsBefore.toMap(), "after", res.charsAfter.toMap()));
        lengths.put("tokens", Map.of("before", res.tokensBefore.toMap(), "after", res.tokensAfter.toMap()));
        r.put("lengths", lengths);

        Map<String, Object> dup = new LinkedHashMap<>();
        String side = res.mapping.schema == Schema.TEXT || res.mapping.schema == Schema.CLASSIFICATION ? "the text"
                : cfg.dedupSide == Schema.Side.BOTH ? "prompt and response" : "the " + cfg.dedupSide.name().toLowerCase() + " side";
        dup.put("key", side + ", lower-cased, whitespace collapsed, SHA-256");
        dup.put("exact", clusters(res.exactClusters, res.count("exact_duplicates"), cfg.reportExamples));
        Map<String, Object> near = clusters(res.nearClusters, res.count("near_duplicates"), cfg.reportExamples);
        near.put("threshold", cfg.near.threshold());
        near.put("shingles", cfg.near.shingle() + "-" + cfg.near.unit().name().toLowerCase() + " shingles");
        near.put("minhash_permutations", cfg.near.numPerm());
        near.put("lsh_bands", res.nearBands);
        near.put("lsh_rows_per_band", res.nearRowsPerBand);
        near.put("candidate_pairs_verified", res.nearCandidatePairs);
        near.put("conflicting_labels", res.count("conflicting_near_duplicates"));
        dup.put("near", near);
        Map<String, Object> conf = clusters(res.conflicts, res.conflictRows, cfg.reportExamples);
        conf.put("policy", cfg.conflicts.name().toLowerCase().replace('_', '-'));
        dup.put("conflicting_labels", conf);
        r.put("duplicates", dup);

        Map<String, Object> leak = new LinkedHashMap<>();
        leak.put("checked", res.leakageChecked);
        leak.put("exact", res.leaks.stream().filter(l -> l.kind().equals("exact")).count());
        leak.put("near", res.leaks.stream().filter(l -> l.kind().equals("near")).count());
        leak.put("fail_on_leakage", cfg.failOnLeakage);
        leak.put("failed", cfg.failOnLeakage && !res.leaks.isEmpty());
        leak.put("file", res.leakageChecked ? "leakage.jsonl" : null);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (PrepareResult.Leak l : res.leaks.subList(0, Math.min(res.leaks.size(), Math.max(100, cfg.reportExamples)))) rows.add(leak(l, 300));
        leak.put("rows", rows);
        r.put("leakage", leak);

        Map<String, Object> rej = new LinkedHashMap<>();
        rej.put("file", "rejects.jsonl");
        rej.put("rows", res.rejects.size());
        Map<String, List<Map<String, Object>>> examples = new LinkedHashMap<>();
        for (Reject x : res.rejects) {
            List<Map<String, Object>> l = examples.computeIfAbsent(x.reason(), k -> new ArrayList<>());
            if (l.size() >= 3) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", x.origin().file());
            m.put("line", x.origin().line());
            m.put("detail", x.detail());
            l.add(m);
        }
        rej.put("examples", examples);
        r.put("rejects", rej);

        if (cfg.splitKey != null) r.put("split_key", Map.of("field", cfg.splitKey, "rows_without_key", res.splitKeyMissing));
        r.put("config", config(cfg));
        r.put("seconds", res.seconds);
        return r;
    }

    private static Map<String, Object> labelCounts(PrepareResult res) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> per = new LinkedHashMap<>();
        Map<String, Integer> all = new TreeMap<>();
        for (String s : SplitSpec.NAMES) per.put(s, new TreeMap<>());
        for (int i = 0; i < res.kept.size(); i++) {
            String label = res.kept.get(i).label;
            per.get(SplitSpec.NAMES.get(res.split[i])).merge(label, 1, Integer::sum);
            all.merge(label, 1, Integer::sum);
        }
        out.put("all", all);
        out.putAll(per);
        return out;
    }

    private static Map<String, Object> clusters(List<PrepareResult.Cluster> cs, long rowsDropped, int max) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", rowsDropped);
        m.put("clusters", cs.size());
        List<PrepareResult.Cluster> top = new ArrayList<>(cs);
        top.sort(Comparator.comparingInt((PrepareResult.Cluster c) -> -c.members().size())
                .thenComparing(c -> c.kept().origin.file()).thenComparingLong(c -> c.kept().origin.line()));
        List<Map<String, Object>> ex = new ArrayList<>();
        for (PrepareResult.Cluster c : top.subList(0, Math.min(max, top.size()))) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("size", c.members().size() + 1);
            if (c.conflicting()) e.put("conflicting_labels", true);
            e.put("kept", snippet(c.kept()));
            List<Map<String, Object>> members = new ArrayList<>();
            for (int k = 0; k < Math.min(5, c.members().size()); k++) {
                Map<String, Object> s = snippet(c.members().get(k));
                s.put("similarity", round(c.similarity().get(k)));
                members.add(s);
            }
            e.put("members", members);
            ex.add(e);
        }
        m.put("examples", ex);
        return m;
    }

    /** One leak: the validation/test row, the training row it repeats, and how. Texts cut at maxChars. */
    static Map<String, Object> leak(PrepareResult.Leak l, int maxChars) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("split", l.split());
        m.put("kind", l.kind());
        m.put("similarity", round(l.similarity()));
        m.put("row", snippet(l.row(), maxChars));
        m.put("train_row", snippet(l.trainRow(), maxChars));
        return m;
    }

    static Map<String, Object> snippet(Example e) {
        return snippet(e, 300);
    }

    static Map<String, Object> snippet(Example e, int maxChars) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", e.origin.file());
        m.put("line", e.origin.line());
        if (e.label != null) m.put("label", e.label);
        String t = e.allText();
        m.put("text", t.length() <= maxChars ? t : t.substring(0, maxChars) + "…");
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static Map<String, Object> config(PrepareConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("inputs", c.inputs.stream().map(Object::toString).toList());
        m.put("format", c.format == null ? "auto" : c.format.name().toLowerCase());
        m.put("text_unit", c.textUnit.name().toLowerCase());
        m.put("schema", c.schema == null ? "auto" : c.schema.id());
        m.put("field_map", c.fields);
        m.put("cleaning", c.cleaning.stream().map(x -> x.id()).toList());
        m.put("mail", c.mail.name().toLowerCase());
        m.put("mail_keep_subject", c.mailKeepSubject);
        m.put("drop_empty", c.dropEmpty);
        m.put("require_response", c.requireResponse);
        m.put("min_chars", c.minChars);
        m.put("max_chars", c.maxChars == Integer.MAX_VALUE ? null : c.maxChars);
        m.put("min_tokens", c.minTokens);
        m.put("max_tokens", c.maxTokens == Integer.MAX_VALUE ? null : c.maxTokens);
        m.put("allowed_labels", c.allowedLabels);
        m.put("exact_dedup", c.exactDedup);
        m.put("near_dedup", c.nearDedup);
        m.put("dedup_side", c.dedupSide.name().toLowerCase());
        m.put("conflicts", c.conflicts.name().toLowerCase().replace('_', '-'));
        m.put("near_threshold", c.near.threshold());
        m.put("shingle", c.near.unit().name().toLowerCase() + ":" + c.near.shingle());
        m.put("minhash_permutations", c.near.numPerm());
        m.put("split", c.split.toString());
        m.put("stratify", c.stratify);
        m.put("split_key", c.splitKey);
        m.put("seed", c.seed);
        m.put("check_leakage", c.checkLeakage);
        m.put("fail_on_leakage", c.failOnLeakage);
        return m;
    }
}
