package dev.tune4j.train;

import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The confusion-matrix accumulator against figures worked out by hand (as sklearn gives them with zero_division=0). */
class ClassificationMetricsTest {
    static final int K = 4;

    /** Logits [rows, K] whose argmax is predicted[r]; a row with predicted -1 is all ties (argmax 0). */
    private static Tensor logitsPredicting(int... predicted) {
        float[] z = new float[predicted.length * K];
        for (int r = 0; r < predicted.length; r++) {
            for (int k = 0; k < K; k++) z[r * K + k] = predicted[r] < 0 ? 0.5f : k == predicted[r] ? 2f : -1f + 0.1f * k;
        }
        return Tensor.of(z, predicted.length, K);
    }

    /**
     * labels    0 0 0 1 1 2 2 2   (class 3 never occurs)
     * predicted 0 0 1 1 0 1 1 0   (class 2 is never predicted)
     * confusion [[2,1,0,0],[1,1,0,0],[1,2,0,0],[0,0,0,0]]; accuracy 3/8;
     * class 0: P 2/4, R 2/3, F1 4/7; class 1: P 1/4, R 1/2, F1 1/3; class 2: P 0, R 0, F1 0;
     * macro-F1 over classes 0..2 (3 occurs nowhere): (4/7 + 1/3 + 0) / 3 = 19/63.
     */
    private static ClassificationMetrics worked() {
        ClassificationMetrics m = new ClassificationMetrics(K);
        m.add(logitsPredicting(0, 0, 1, 1), new int[] {0, 0, 0, 1});
        // the second batch: a tie (-> class 0) and an ignored row
        m.add(logitsPredicting(-1, 1, 2, 1, 0), new int[] {1, 2, ClassificationBatch.IGNORE, 2, 2});
        return m;
    }

    @Test
    void accuracyPerClassFiguresAndMacroF1MatchTheHandWorkedExample() {
        ClassificationMetrics m = worked();
        assertEquals(8, m.total());
        assertArrayEquals(new long[][] {{2, 1, 0, 0}, {1, 1, 0, 0}, {1, 2, 0, 0}, {0, 0, 0, 0}}, m.confusion());
        assertEquals(3.0 / 8, m.accuracy(), 1e-15);

        List<ClassificationMetrics.ClassStats> s = m.perClass();
        assertStats(s.get(0), 0, 3, 4, 2, 0.5, 2.0 / 3, 4.0 / 7);
        assertStats(s.get(1), 1, 2, 4, 1, 0.25, 0.5, 1.0 / 3);
        assertStats(s.get(2), 2, 3, 0, 0, 0, 0, 0); // never predicted: precision, recall and F1 are 0
        assertStats(s.get(3), 3, 0, 0, 0, 0, 0, 0);
        assertEquals(19.0 / 63, m.macroF1(), 1e-15);
        assertEquals(19.0 / 63, m.summary().get("macro_f1"), 1e-15);
        assertEquals(3.0 / 8, m.summary().get("accuracy"), 1e-15);
    }

    private static void assertStats(ClassificationMetrics.ClassStats s, int id, long support, long predicted, long tp,
                                    double precision, double recall, double f1) {
        assertEquals(List.of(id, support, predicted, tp), List.of(s.id(), s.support(), s.predicted(), s.truePositives()), "class " + id);
        assertEquals(precision, s.precision(), 1e-15, "precision of class " + id);
        assertEquals(recall, s.recall(), 1e-15, "recall of class " + id);
        assertEquals(f1, s.f1(), 1e-15, "F1 of class " + id);
    }

    @Test
    void countsDoNotDependOnHowBatchesAreSplitAndMergeAddsThem() {
        ClassificationMetrics a = worked(), b = new ClassificationMetrics(K), c = new ClassificationMetrics(K);
        int[] labels = {0, 0, 0, 1, 1, 2, 2, 2};
        int[] predicted = {0, 0, 1, 1, 0, 1, 1, 0};
        for (int i = 0; i < labels.length; i++) (i < 3 ? b : c).add(labels[i], predicted[i]);
        b.merge(c);
        assertArrayEquals(a.confusion(), b.confusion());
        assertEquals(a.total(), b.total());
        assertEquals(a.macroF1(), b.macroF1(), 0);
    }

    @Test
    void emptyAccumulatorReportsZerosAndBadInputIsRefused() {
        ClassificationMetrics m = new ClassificationMetrics(3);
        assertEquals(0, m.accuracy());
        assertEquals(0, m.macroF1());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> m.add(Tensor.zeros(2, 4), new int[] {0, 1}));
        assertTrue(shape.getMessage().contains("ClassificationMetrics") && shape.getMessage().contains("[2, 4]"), shape.getMessage());
        IllegalArgumentException label = assertThrows(IllegalArgumentException.class, () -> m.add(Tensor.zeros(1, 3), new int[] {3}));
        assertTrue(label.getMessage().contains("label 3"), label.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.merge(new ClassificationMetrics(2)));
        assertThrows(IllegalArgumentException.class, () -> new ClassificationMetrics(0));
    }
}
