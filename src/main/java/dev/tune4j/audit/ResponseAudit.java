package dev.tune4j.audit;

import dev.tune4j.data.Example;
import dev.tune4j.data.Schema;
import dev.tune4j.data.dedup.Shingler;
import dev.tune4j.model.PretrainedModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The audit of instruction, chat and preference data: every response scored under the base
 * decoder ({@link ResponseScorer}: per-token loss of the response given its prompt, its length in
 * tokens, its repetition), and rows checked for defects: a response empty after the prompt format,
 * and preference pairs whose chosen and rejected responses are (near) identical (exact Jaccard
 * similarity of their word 3-gram shingle sets, as near-duplicate removal measures it).
 *
 * <p>What a very high loss means: the response is off the model's distribution (garbage, another
 * language, mangled markup); very low: trivial or memorised text that teaches nothing. The
 * {@link Thresholds} a user sets decide what counts as an issue; defects always do. For preference
 * rows the quality thresholds apply to the chosen response only: a poor rejected response is what
 * the pair is for.
 */
public final class ResponseAudit {
    private ResponseAudit() {}

    /** Shingles that pair similarity is measured on: the near-duplicate default. */
    private static final Shingler SHINGLES = new Shingler(Shingler.Unit.WORD, 3);

    /** One response of a row: {@code response} (instruction, chat), or {@code chosen} / {@code rejected}. */
    public record Part(String name, String text, ResponseScorer.Score score) {}

    /**
     * One audited row.
     *
     * @param pairSimilarity Jaccard similarity of chosen and rejected (NaN for other schemas)
     * @param reasons        why it is an issue (empty: it is not), e.g. {@code empty_response}, {@code loss_above}
     */
    public record Row(Example example, List<Part> parts, double pairSimilarity, List<String> reasons) {
        public boolean flagged() {
            return !reasons.isEmpty();
        }
    }

    /**
     * What makes a row an issue besides its defects. NaN (or 0 for the token bounds, 1 for
     * repetition): not checked. {@code maxPairSimilarity}: chosen and rejected at least this similar
     * are a defect.
     */
    public record Thresholds(double maxLoss, double minLoss, double maxRepetition, int minTokens, int maxTokens, double maxPairSimilarity) {
        public static Thresholds defaults() {
            return new Thresholds(Double.NaN, Double.NaN, 1, 0, 0, 0.8);
        }
    }

    public record Result(Schema schema, List<Row> rows, Thresholds thresholds, int maxLength) {
        public long flagged() {
            return rows.stream().filter(Row::flagged).count();
        }
    }

    public static Result run(PretrainedModel model, String spec, PromptFormat format, List<Example> rows, Thresholds t, int maxLength) {
        ResponseScorer scorer = new ResponseScorer(model, format, maxLength, spec);
        List<Row> out = new ArrayList<>(rows.size());
        for (Example e : rows) out.add(audit(e, scorer, t));
        return new Result(rows.isEmpty() ? null : rows.getFirst().schema, out, t, scorer.maxLength());
    }

    private static Row audit(Example e, ResponseScorer scorer, Thresholds t) {
        List<PromptFormat.Turn> prompt = prompt(e);
        List<Part> parts = new ArrayList<>();
        for (String[] r : responses(e)) parts.add(new Part(r[0], r[1], scorer.score(prompt, r[1])));
        double similarity = e.schema == Schema.PREFERENCE ? Shingler.jaccard(SHINGLES.shingles(e.texts[1]), SHINGLES.shingles(e.texts[2])) : Double.NaN;
        List<String> reasons = new ArrayList<>();
        if (parts.stream().anyMatch(p -> p.score().tokens() == 0)) reasons.add("empty_response");
        if (similarity >= t.maxPairSimilarity()) reasons.add("near_identical_pair");
        ResponseScorer.Score s = parts.getFirst().score();     // the response, or the chosen one
        if (s.loss() > t.maxLoss()) reasons.add("loss_above");
        if (s.loss() < t.minLoss()) reasons.add("loss_below");
        if (s.repetition() > t.maxRepetition()) reasons.add("repetition_above");
        if (s.tokens() > 0 && s.tokens() < t.minTokens()) reasons.add("too_few_tokens");
        if (t.maxTokens() > 0 && s.tokens() > t.maxTokens()) reasons.add("too_many_tokens");
        return new Row(e, parts, similarity, reasons);
    }

    /** The prompt messages: an instruction with its input, a conversation up to its last assistant message, a preference prompt. */
    static List<PromptFormat.Turn> prompt(Example e) {
        return switch (e.schema) {
            case INSTRUCTION -> List.of(new PromptFormat.Turn("user", e.texts[1].isEmpty() ? e.texts[0] : e.texts[0] + "\n\n" + e.texts[1]));
            case PREFERENCE -> List.of(new PromptFormat.Turn("user", e.texts[0]));
            case CHAT -> {
                List<PromptFormat.Turn> turns = new ArrayList<>();
                int last = lastAssistant(e);
                for (int i = 0; i < (last < 0 ? e.texts.length : last); i++) turns.add(new PromptFormat.Turn(e.roles[i], e.texts[i]));
                yield turns;
            }
            default -> throw new IllegalArgumentException(e.origin + ": a " + e.schema.id() + " row has no response to audit");
        };
    }

    /** {name, text} of each response of the row. */
    static List<String[]> responses(Example e) {
        return switch (e.schema) {
            case INSTRUCTION -> List.<String[]>of(new String[] {"response", e.texts[2]});
            case PREFERENCE -> List.of(new String[] {"chosen", e.texts[1]}, new String[] {"rejected", e.texts[2]});
            case CHAT -> {
                int last = lastAssistant(e);
                yield List.<String[]>of(new String[] {"response", last < 0 ? "" : e.texts[last]});
            }
            default -> throw new IllegalArgumentException(e.origin + ": a " + e.schema.id() + " row has no response to audit");
        };
    }

    private static int lastAssistant(Example e) {
        for (int i = e.texts.length - 1; i >= 0; i--) if ("assistant".equals(e.roles[i])) return i;
        return -1;
    }

    /**
     * Where values sit: percentiles (nearest rank) and how many lie beyond 3.5 robust standard
     * deviations (modified z-score 0.6745 (x − median) / MAD, Iglewicz and Hoaglin), a hint for
     * choosing thresholds. NaNs are left out.
     */
    public record Spread(int n, double p1, double p5, double median, double p95, double p99, double mad, long highOutliers, long lowOutliers) {
        public static Spread of(double[] values) {
            double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
            if (v.length == 0) return new Spread(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0);
            double median = rank(v, 0.5);
            double[] dev = Arrays.stream(v).map(x -> Math.abs(x - median)).sorted().toArray();
            double mad = rank(dev, 0.5);
            long high = 0, low = 0;
            for (double x : v) {
                double z = mad == 0 ? 0 : 0.6745 * (x - median) / mad;
                if (z > 3.5) high++;
                if (z < -3.5) low++;
            }
            return new Spread(v.length, rank(v, 0.01), rank(v, 0.05), median, rank(v, 0.95), rank(v, 0.99), mad, high, low);
        }

        private static double rank(double[] sorted, double q) {
            return sorted[(int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
        }
    }
}
