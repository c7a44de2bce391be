package dev.tune4j.train.preference;

import dev.tune4j.data.collate.LmRows;
import dev.tune4j.train.LmBatch;

import java.util.ArrayList;
import java.util.List;

/**
 * n preference pairs as one batch of 2n rows, chosen completions first, then the rejected ones in
 * the same order, so chosen and rejected go through the policy in one forward. Targets are set on
 * the completion tokens only. {@code reference} holds the reference model's summed log-probability
 * of each row (null for the reference-free losses).
 */
public record PreferenceBatch(LmBatch rows, double[] reference) {

    public PreferenceBatch {
        if (rows.tokens().batch() % 2 != 0) throw new IllegalArgumentException("a preference batch holds chosen and rejected rows in pairs, got " + rows.tokens().batch());
        if (reference != null && reference.length != rows.tokens().batch()) throw new IllegalArgumentException(reference.length + " reference scores for " + rows.tokens().batch() + " rows");
    }

    public int pairs() { return rows.tokens().batch() / 2; }

    /** One pair: its two rows (ids and completion-only targets) and their reference scores (NaN: not computed). */
    public record Pair(LmBatch chosen, LmBatch rejected, double refChosen, double refRejected) {
        public Pair withReference(double c, double r) { return new Pair(chosen, rejected, c, r); }
    }

    /** Pairs collated into one batch (right-padded), carrying their reference scores when they have them. */
    public static PreferenceBatch collate(List<Pair> pairs) {
        List<LmBatch> rows = new ArrayList<>();
        for (Pair p : pairs) rows.add(p.chosen());
        for (Pair p : pairs) rows.add(p.rejected());
        boolean ref = pairs.stream().noneMatch(p -> Double.isNaN(p.refChosen()));
        double[] reference = null;
        if (ref) {
            int n = pairs.size();
            reference = new double[2 * n];
            for (int i = 0; i < n; i++) {
                reference[i] = pairs.get(i).refChosen();
                reference[n + i] = pairs.get(i).refRejected();
            }
        }
        return new PreferenceBatch(LmRows.collate(rows), reference);
    }
}
