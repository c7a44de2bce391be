package dev.tune4j.data;

import dev.tune4j.data.clean.Cleaner;
import dev.tune4j.data.dedup.NearDuplicates;
import dev.tune4j.data.input.InputFormat;
import dev.tune4j.data.input.TextUnit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything {@code tune4j data prepare} can be told. The defaults are the recommended pipeline:
 * every cleaning rule on (mail only where text looks like e-mail), empty rows and prompts without
 * responses dropped, exact and near-duplicate removal on both sides of a row, a stratified 80/10/10
 * split and a leakage check.
 */
public final class PrepareConfig {
    public List<Path> inputs = new ArrayList<>();
    public Path out;

    // input
    /** Null: by file extension. */
    public InputFormat format;
    public TextUnit textUnit = TextUnit.LINE;
    /** Null: detected from the fields. */
    public Schema schema;
    /** Canonical field -> source field. */
    public Map<String, String> fields = new LinkedHashMap<>();

    // cleaning
    public Set<Cleaner.Rule> cleaning = EnumSet.allOf(Cleaner.Rule.class);
    public Cleaner.MailMode mail = Cleaner.MailMode.AUTO;
    public boolean mailKeepSubject;

    // filters (0 / MAX_VALUE: off)
    public boolean dropEmpty = true;
    public boolean requireResponse = true;
    public int minChars, maxChars = Integer.MAX_VALUE, minTokens, maxTokens = Integer.MAX_VALUE;
    /** Null: any label. */
    public Set<String> allowedLabels;
    public TokenCounter tokens = TokenCounter.approximate();

    // deduplication
    public boolean exactDedup = true;
    public boolean nearDedup = true;
    public Schema.Side dedupSide = Schema.Side.BOTH;
    public ConflictPolicy conflicts = ConflictPolicy.DROP;
    public NearDuplicates.Config near = NearDuplicates.Config.defaults();

    // splitting and validation
    public SplitSpec split = SplitSpec.defaults();
    public boolean stratify = true;
    public String splitKey;
    public long seed = 42;
    public boolean checkLeakage = true;
    public boolean failOnLeakage;

    /** How many duplicate clusters, rejects and leaks the report shows with their text. */
    public int reportExamples = 20;

    /** What to do with rows that share their text but not their label. */
    public enum ConflictPolicy {
        /** Drop every row of the group: nobody knows which label is right. */
        DROP,
        /** Keep the first row (as for any exact duplicate); the group is still reported. */
        KEEP_FIRST;

        public static ConflictPolicy parse(String s) {
            return switch (s.strip().toLowerCase().replace('_', '-')) {
                case "drop" -> DROP;
                case "keep-first" -> KEEP_FIRST;
                default -> throw new IllegalArgumentException("unknown conflict policy '" + s + "' (expected drop or keep-first)");
            };
        }
    }
}
