package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.data.DataPipeline;
import dev.tune4j.data.Example;
import dev.tune4j.data.PrepareConfig;
import dev.tune4j.data.PrepareResult;
import dev.tune4j.data.PreparedWriter;
import dev.tune4j.data.Schema;
import dev.tune4j.data.SplitSpec;
import dev.tune4j.data.clean.Cleaner;
import dev.tune4j.data.dedup.ExactKey;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The rows a run trains, validates and tests on. Raw files go through the same pipeline as
 * {@code tune4j data prepare} (cleaning, exact and near deduplication, validation, a stratified split
 * and a leakage check), whose outputs and report land in the run folder; a folder written by
 * {@code data prepare} is used as it is. A validation or test file is cleaned the same way and checked
 * against the training rows: an overlap is reported as leakage.
 *
 * @param cleaning the rules the rows were cleaned with, to apply to new input at prediction time
 * @param leaks    validation/test rows whose text also occurs in the training rows (file splits only)
 */
public record RunData(List<Example> train, List<Example> validation, List<Example> test, Cleaning cleaning, List<String> leaks) {

    /** Cleaning rules as a run applied them; {@link #clean} does the same to a new text. */
    public record Cleaning(Set<Cleaner.Rule> rules, String mail) {
        public static Cleaning none() {
            return new Cleaning(EnumSet.noneOf(Cleaner.Rule.class), "auto");
        }

        public String clean(String text) {
            return new Cleaner(rules.isEmpty() ? EnumSet.noneOf(Cleaner.Rule.class) : EnumSet.copyOf(rules),
                    Cleaner.MailMode.valueOf(mail.toUpperCase(Locale.ROOT)), false).cleanText(text);
        }
    }

    public static RunData load(Recipe r, Schema schema, Path dataDir) {
        Recipe.Data d = r.data();
        Path train = existing("data.train", d.train());
        Cleaning cleaning = d.prepare() ? new Cleaning(EnumSet.allOf(Cleaner.Rule.class), "auto") : Cleaning.none();
        List<List<Example>> splits;
        if (Files.isDirectory(train) && Files.exists(train.resolve(PreparedWriter.MANIFEST))) {
            splits = new ArrayList<>();
            for (String name : SplitSpec.NAMES) {
                Path f = train.resolve(name + ".jsonl");
                splits.add(Files.exists(f) && size(f) > 0 ? prepare(r, schema, List.of(f), "1/0/0", false, false, null).get(0) : List.of());
            }
        } else {
            String spec = "rest/" + fraction(d.validation()) + "/" + fraction(d.test());
            splits = new ArrayList<>(prepare(r, schema, List.of(train), spec, d.prepare(), true, dataDir));
        }
        List<String> leaks = new ArrayList<>();
        Set<ExactKey> trainKeys = new HashSet<>();
        for (Example e : splits.get(0)) trainKeys.add(ExactKey.of(e.content(Schema.Side.BOTH)));
        for (int s = 1; s <= 2; s++) {
            JsonNode given = s == 1 ? d.validation() : d.test();
            if (given == null || !given.isTextual()) continue;
            String key = s == 1 ? "data.validation" : "data.test";
            Path file = existing(key, given.asText());
            Path out = dataDir == null ? null : dataDir.resolveSibling(dataDir.getFileName() + "-" + SplitSpec.NAMES.get(s));
            List<Example> rows = prepare(r, schema, List.of(file), "1/0/0", d.prepare(), true, out).get(0);
            for (Example e : rows) if (trainKeys.contains(ExactKey.of(e.content(Schema.Side.BOTH)))) leaks.add(SplitSpec.NAMES.get(s) + " " + e.origin);
            splits.set(s, rows);
        }
        if (splits.get(0).isEmpty()) throw new IllegalArgumentException("data.train: no usable training rows in " + d.train() + " (see the data report)");
        return new RunData(splits.get(0), splits.get(1), splits.get(2), cleaning, leaks);
    }

    /**
     * The rows of another file a run uses besides its splits (replay data, a general-domain
     * held-out set), read and cleaned as the training file is, without a split. {@code schema}
     * null: detected from the file.
     */
    public static List<Example> extra(Recipe r, String key, String file, Schema schema) {
        return prepare(r, schema, List.of(existing(key, file)), "1/0/0", r.data().prepare(), true, null).get(0);
    }

    /**
     * Runs the data pipeline; returns the rows of each split. {@code mapFields}: the recipe's field
     * names apply (raw files; prepared splits use the canonical ones). {@code out} null: nothing is written.
     */
    private static List<List<Example>> prepare(Recipe r, Schema schema, List<Path> inputs, String split, boolean clean, boolean mapFields, Path out) {
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = inputs;
        cfg.out = out;
        cfg.schema = schema;
        if (mapFields) {
            cfg.fields.put("text", r.data().textField());
            if (schema == Schema.CLASSIFICATION) cfg.fields.put("label", r.data().labelField());
        }
        cfg.split = SplitSpec.parse(split);
        cfg.seed = r.train().seed();
        if (r.data().labels() != null) cfg.allowedLabels = new LinkedHashSet<>(r.data().labels());
        if (!clean) {
            cfg.cleaning = EnumSet.noneOf(Cleaner.Rule.class);
            cfg.exactDedup = false;
            cfg.nearDedup = false;
            cfg.checkLeakage = false;
        }
        PrepareResult res = DataPipeline.run(cfg);
        if (out != null) PreparedWriter.write(res, cfg);
        if (res.kept.isEmpty()) {
            throw new IllegalArgumentException(inputs.getFirst() + " holds no usable rows: " + res.noRowsReason()
                    + (mapFields ? "; the recipe reads the text from '" + r.data().textField() + "'"
                    + (schema == Schema.CLASSIFICATION ? " and the label from '" + r.data().labelField() + "'" : "") : ""));
        }
        List<List<Example>> splits = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < res.kept.size(); i++) splits.get(res.split[i]).add(res.kept.get(i));
        return splits;
    }

    private static double fraction(JsonNode v) {
        return v == null || !v.isNumber() ? 0 : v.asDouble();
    }

    private static Path existing(String key, String file) {
        Path p = Path.of(file);
        if (!Files.exists(p)) throw new IllegalArgumentException(key + ": " + file + " does not exist");
        if (!Files.isReadable(p)) throw new IllegalArgumentException(key + ": " + file + " is not readable");
        return p;
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
