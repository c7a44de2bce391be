package dev.tune4j.train;

import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classification quality accumulated over batches in a K x K confusion matrix (row: true class,
 * column: predicted class), so that evaluating a whole split keeps K² counts and no logits.
 *
 * <p>The prediction is the argmax of a row's logits, ties to the lower class id (NaN never wins).
 * Per class k, with TP its diagonal count, precision = TP / predicted k, recall = TP / support
 * (true k), F1 = 2PR / (P + R), each 0 where its denominator is 0, as sklearn computes with
 * {@code zero_division=0}. Macro-F1 averages F1 over the classes that occur as a label or as a
 * prediction (sklearn's default label set); accuracy is the diagonal over all counted examples.
 * Examples labelled {@link ClassificationBatch#IGNORE} are not counted.
 */
public final class ClassificationMetrics {
    private final int classes;
    private final long[][] confusion;
    private long total;

    /** One class's figures. */
    public record ClassStats(int id, long support, long predicted, long truePositives, double precision, double recall, double f1) {}

    public ClassificationMetrics(int classes) {
        if (classes < 1) throw new IllegalArgumentException("ClassificationMetrics needs at least 1 class, got " + classes);
        this.classes = classes;
        this.confusion = new long[classes][classes];
    }

    public int classes() { return classes; }

    /** Adds a batch: logits [B, K] (any storage, read row by row), one label per row. */
    public void add(Tensor logits, int[] labels) {
        int[] s = logits.shape();
        Shape.check(s.length == 2 && s[1] == classes && s[0] == labels.length, "ClassificationMetrics",
                "logits must be [" + labels.length + " rows, " + classes + " classes]", s);
        float[] z = logits.toHeap().data();
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] == ClassificationBatch.IGNORE) continue;
            int best = 0;
            for (int k = 1; k < classes; k++) if (z[r * classes + k] > z[r * classes + best]) best = k;
            add(labels[r], best);
        }
    }

    /** Counts one example. */
    public void add(int label, int predicted) {
        if (label < 0 || label >= classes) throw new IllegalArgumentException("ClassificationMetrics: label " + label + " outside 0.." + (classes - 1));
        if (predicted < 0 || predicted >= classes) throw new IllegalArgumentException("ClassificationMetrics: prediction " + predicted + " outside 0.." + (classes - 1));
        confusion[label][predicted]++;
        total++;
    }

    /** Adds another accumulator's counts (e.g. from another evaluation shard). */
    public void merge(ClassificationMetrics other) {
        if (other.classes != classes) throw new IllegalArgumentException("ClassificationMetrics: cannot merge " + other.classes + " classes into " + classes);
        for (int i = 0; i < classes; i++) for (int j = 0; j < classes; j++) confusion[i][j] += other.confusion[i][j];
        total += other.total;
    }

    /** Examples counted. */
    public long total() { return total; }

    /** A copy of the counts: [true class][predicted class]. */
    public long[][] confusion() {
        long[][] c = new long[classes][];
        for (int i = 0; i < classes; i++) c[i] = confusion[i].clone();
        return c;
    }

    /** Correct / total; 0 before any example. */
    public double accuracy() {
        long right = 0;
        for (int k = 0; k < classes; k++) right += confusion[k][k];
        return total == 0 ? 0 : (double) right / total;
    }

    public ClassStats stats(int k) {
        long tp = confusion[k][k], support = 0, predicted = 0;
        for (int j = 0; j < classes; j++) {
            support += confusion[k][j];
            predicted += confusion[j][k];
        }
        double p = predicted == 0 ? 0 : (double) tp / predicted, r = support == 0 ? 0 : (double) tp / support;
        double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
        return new ClassStats(k, support, predicted, tp, p, r, f1);
    }

    public List<ClassStats> perClass() {
        List<ClassStats> out = new ArrayList<>();
        for (int k = 0; k < classes; k++) out.add(stats(k));
        return out;
    }

    /** Mean F1 over the classes that occur as a label or a prediction; 0 before any example. */
    public double macroF1() {
        double sum = 0;
        int n = 0;
        for (ClassStats s : perClass()) {
            if (s.support() == 0 && s.predicted() == 0) continue;
            sum += s.f1();
            n++;
        }
        return n == 0 ? 0 : sum / n;
    }

    /** accuracy and macro_f1, for a log line. */
    public Map<String, Double> summary() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy());
        m.put("macro_f1", macroF1());
        return m;
    }
}
