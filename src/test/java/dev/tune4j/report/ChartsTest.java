package dev.tune4j.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ChartsTest {
    @Test
    void smoothingIsBiasCorrected() {
        // Without the correction the first point would be 0.1 * 2 = 0.2, dragging the curve's start to zero.
        assertArrayEquals(new double[] {2, 2, 2, 2}, Charts.smooth(new double[] {2, 2, 2, 2}, 0.9), 1e-12);
    }

    @Test
    void smoothingWeighsRecentPointsMore() {
        double[] s = Charts.smooth(new double[] {1, 0}, 0.5);
        assertEquals(1.0, s[0], 1e-12);
        assertEquals(1.0 / 3, s[1], 1e-12); // (0.5*0.5*1 + 0.5*0) / (1 - 0.25)
    }
}
