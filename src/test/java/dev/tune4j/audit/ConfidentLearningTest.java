package dev.tune4j.audit;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfidentLearningTest {

    /**
     * By hand: t0 = (0.9 + 0.7 + 0.2) / 3 = 0.6, t1 = (0.8 + 0.6 + 0.3) / 3 = 0.5667, t2 = (0.8 + 0.4) / 2 = 0.6.
     * x2 (given 0) clears only t1 -> C[0][1]; x5 (given 1) has p0 = 0.6, exactly t0 -> C[1][0];
     * x7 clears no threshold and is not counted; the rest sit on the diagonal.
     */
    @Test
    void thresholdsConfidentJointAndRankingMatchAHandComputedExample() {
        double[][] p = {
                {0.9, 0.05, 0.05}, {0.7, 0.2, 0.1}, {0.2, 0.7, 0.1},
                {0.1, 0.8, 0.1}, {0.2, 0.6, 0.2}, {0.6, 0.3, 0.1},
                {0.1, 0.1, 0.8}, {0.3, 0.3, 0.4}};
        int[] y = {0, 0, 0, 1, 1, 1, 2, 2};
        ConfidentLearning.Result r = ConfidentLearning.find(p, y, 3);
        assertArrayEquals(new double[] {0.6, 1.7 / 3, 0.6}, r.thresholds(), 1e-12);
        assertArrayEquals(new long[] {2, 1, 0}, r.joint()[0]);
        assertArrayEquals(new long[] {1, 2, 0}, r.joint()[1]);
        assertArrayEquals(new long[] {0, 0, 1}, r.joint()[2]);
        assertEquals(List.of(new ConfidentLearning.Issue(2, 0, 1, 0.2), new ConfidentLearning.Issue(5, 1, 0, 0.3)), r.issues(),
                "the off-diagonal rows, the least self-confident first");
    }

    /**
     * t0 = (0.9 + 0.95 + 0.55) / 3 = 0.8, t1 = (0.45 + 0.4 + 0.5) / 3 = 0.45. Row 2 (given 0, p = 0.55 / 0.45)
     * clears only t1, so it counts in C[0][1], but its most probable class is its given label: not flagged.
     */
    @Test
    void aRowWhoseMostProbableClassIsItsGivenLabelIsCountedButNotFlagged() {
        double[][] p = {{0.9, 0.1}, {0.95, 0.05}, {0.55, 0.45}, {0.55, 0.45}, {0.6, 0.4}, {0.5, 0.5}};
        int[] y = {0, 0, 0, 1, 1, 1};
        ConfidentLearning.Result r = ConfidentLearning.find(p, y, 2);
        assertArrayEquals(new double[] {0.8, 0.45}, r.thresholds(), 1e-12);
        assertArrayEquals(new long[] {2, 1}, r.joint()[0]);
        assertArrayEquals(new long[] {0, 2}, r.joint()[1], "row 4 clears neither threshold");
        assertTrue(r.issues().isEmpty(), r.issues().toString());
    }

    @Test
    void aClassNoRowIsGivenHasNoThresholdAndNothingIsConfidentlyIt() {
        double[][] p = {{0.1, 0.0, 0.9}, {0.8, 0.1, 0.1}, {0.2, 0.1, 0.7}};
        int[] y = {0, 0, 2};
        ConfidentLearning.Result r = ConfidentLearning.find(p, y, 3);
        assertTrue(Double.isNaN(r.thresholds()[1]));
        assertEquals(0, r.joint()[0][1] + r.joint()[2][1]);
        assertEquals(List.of(new ConfidentLearning.Issue(0, 0, 2, 0.1)), r.issues());
    }

    @Test
    void badInputIsAClearError() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfidentLearning.find(new double[][] {{0.5, 0.5}}, new int[] {0, 1}, 2))
                .getMessage().contains("1 probability rows for 2 labels"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfidentLearning.find(new double[][] {{0.5, 0.5}}, new int[] {2}, 2))
                .getMessage().contains("label 2 outside 0..1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfidentLearning.find(new double[][] {{Double.NaN, 0.5}}, new int[] {0}, 2))
                .getMessage().contains("outside [0, 1]"));
    }
}
