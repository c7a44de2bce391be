package dev.tune4j.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Confident learning (Northcutt, Jiang and Chuang, JAIR 2021; cleanlab's {@code find_label_issues}
 * with {@code filter_by="confident_learning"}), the maths only. Input: for n examples, out-of-sample
 * probabilities p(j | x) over K classes and each example's given label y.
 * <ul>
 * <li>Threshold of class j: t_j = mean of p(j | x) over the examples given label j (the class's
 *     average self-confidence). A class nobody is given has no threshold: nothing is confidently it.</li>
 * <li>Confident class of x: argmax of p(j | x) over the classes with p(j | x) &ge; t_j − 1e-6 (ties
 *     to the lower class id); none when x clears no threshold. The 1e-6 is cleanlab's: the mean of
 *     equal probabilities may round above them.</li>
 * <li>Confident joint C[i][j]: the number of examples given label i whose confident class is j.</li>
 * <li>Label issues: the examples in an off-diagonal cell (confident class j &ne; given label i), except
 *     those whose most probable class is their given label (as cleanlab drops them), with j as the
 *     suggested label. Ranked by self-confidence p(y | x), lowest first: the label the model believes
 *     least comes first.</li>
 * </ul>
 */
public final class ConfidentLearning {
    private ConfidentLearning() {}

    static final double TOLERANCE = 1e-6;

    /**
     * One flagged example.
     *
     * @param index          its row in the input
     * @param given          the label it has
     * @param suggested      its confident class
     * @param selfConfidence p(given | x), the ranking score (lower: more likely wrong)
     */
    public record Issue(int index, int given, int suggested, double selfConfidence) {}

    /**
     * @param thresholds t_j per class (NaN for a class no example is given)
     * @param joint      C[given][confident class]
     * @param issues     flagged examples, lowest self-confidence first (ties: lower index first)
     */
    public record Result(double[] thresholds, long[][] joint, List<Issue> issues) {}

    /** @param probs [n][K] out-of-sample probabilities (rows sum to 1); {@code labels} the given class of each row */
    public static Result find(double[][] probs, int[] labels, int classes) {
        check(probs, labels, classes);
        double[] t = thresholds(probs, labels, classes);
        long[][] joint = new long[classes][classes];
        List<Issue> issues = new ArrayList<>();
        for (int x = 0; x < probs.length; x++) {
            int j = confidentClass(probs[x], t);
            if (j < 0) continue;
            int given = labels[x];
            joint[given][j]++;
            if (j != given && argmax(probs[x]) != given) issues.add(new Issue(x, given, j, probs[x][given]));
        }
        issues.sort(Comparator.comparingDouble(Issue::selfConfidence).thenComparingInt(Issue::index));
        return new Result(t, joint, issues);
    }

    /** t_j = mean of p(j | x) over the examples given label j; NaN where there are none. */
    public static double[] thresholds(double[][] probs, int[] labels, int classes) {
        double[] sum = new double[classes];
        long[] count = new long[classes];
        for (int x = 0; x < probs.length; x++) {
            sum[labels[x]] += probs[x][labels[x]];
            count[labels[x]]++;
        }
        double[] t = new double[classes];
        for (int j = 0; j < classes; j++) t[j] = count[j] == 0 ? Double.NaN : sum[j] / count[j];
        return t;
    }

    /** The most probable class among those whose threshold p clears, or -1 (a NaN threshold is never cleared). */
    static int confidentClass(double[] p, double[] thresholds) {
        int best = -1;
        for (int j = 0; j < p.length; j++) {
            if (p[j] >= thresholds[j] - TOLERANCE && (best < 0 || p[j] > p[best])) best = j;
        }
        return best;
    }

    static int argmax(double[] p) {
        int best = 0;
        for (int j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
        return best;
    }

    private static void check(double[][] probs, int[] labels, int classes) {
        if (classes < 2) throw new IllegalArgumentException("confident learning needs at least 2 classes, got " + classes);
        if (probs.length != labels.length) throw new IllegalArgumentException(probs.length + " probability rows for " + labels.length + " labels");
        for (int x = 0; x < probs.length; x++) {
            if (probs[x].length != classes) throw new IllegalArgumentException("row " + x + " has " + probs[x].length + " probabilities, expected " + classes);
            if (labels[x] < 0 || labels[x] >= classes) throw new IllegalArgumentException("row " + x + ": label " + labels[x] + " outside 0.." + (classes - 1));
            for (double v : probs[x]) if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("row " + x + ": probability " + v + " outside [0, 1]");
        }
    }
}
