package dev.tune4j.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Stratified K-fold cross-validation: every row is held out exactly once, by a model trained on the
 * other folds, so each row's probabilities are out of sample. Rows of each class are shuffled with
 * the seed and dealt to the folds in turn, the deal going on from class to class, so every fold has
 * about n/K rows and each class's share. Deterministic for a seed.
 */
public final class Folds {
    private final int[] fold;
    private final int k;

    private Folds(int[] fold, int k) {
        this.fold = fold;
        this.k = k;
    }

    public static Folds stratified(int[] labels, int classes, int k, long seed) {
        if (k < 2) throw new IllegalArgumentException("cross-validation needs at least 2 folds, got " + k);
        if (labels.length < k) throw new IllegalArgumentException(labels.length + " rows cannot fill " + k + " folds");
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++) byClass.get(labels[i]).add(i);
        SplittableRandom rng = new SplittableRandom(seed);
        int[] fold = new int[labels.length];
        int next = 0;
        for (List<Integer> rows : byClass) {
            for (int i = rows.size() - 1; i > 0; i--) {     // Fisher-Yates
                int j = rng.nextInt(i + 1);
                Integer t = rows.get(i);
                rows.set(i, rows.get(j));
                rows.set(j, t);
            }
            for (int r : rows) fold[r] = next++ % k;
        }
        return new Folds(fold, k);
    }

    public int count() {
        return k;
    }

    /** The fold row i is held out in. */
    public int of(int i) {
        return fold[i];
    }

    /** Rows held out in fold f, in row order. */
    public int[] heldOut(int f) {
        return rows(f, true);
    }

    /** Rows the model of fold f trains on, in row order. */
    public int[] training(int f) {
        return rows(f, false);
    }

    private int[] rows(int f, boolean in) {
        int n = 0;
        for (int v : fold) if ((v == f) == in) n++;
        int[] out = new int[n];
        n = 0;
        for (int i = 0; i < fold.length; i++) if ((fold[i] == f) == in) out[n++] = i;
        return out;
    }
}
