package dev.tune4j.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RopeTableTest {

    /** Llama 3.1: theta 500000, head size 128, rope_scaling llama3 (8, 1, 4, 8192). */
    private static final RopeTable.Llama3 LLAMA31 = new RopeTable.Llama3(8, 1, 4, 8192);

    @Test
    void unscaledInverseFrequenciesAreThetaToTheMinusTwoIOverD() {
        double[] inv = RopeTable.inverseFrequencies(64, 10000, RopeTable.NO_SCALING);
        assertEquals(32, inv.length);
        assertEquals(1.0, inv[0]);
        for (int i = 0; i < 32; i++) assertEquals(Math.exp(-Math.log(10000) * i / 32.0), inv[i], 1e-15);
    }

    @Test
    void llama3ScalingKeepsHighFrequenciesDividesLowOnesAndBlendsBetween() {
        double[] plain = RopeTable.inverseFrequencies(128, 500000, RopeTable.NO_SCALING);
        double[] scaled = RopeTable.inverseFrequencies(128, 500000, LLAMA31);
        // Wavelength 2*pi/inv crosses 8192/4 = 2048 between pairs 28 and 29, and 8192 between 34 and 35.
        for (int i = 0; i <= 28; i++) assertEquals(plain[i], scaled[i], 0.0, "high-frequency pair " + i + " unchanged");
        for (int i = 35; i < 64; i++) assertEquals(plain[i] / 8, scaled[i], 1e-18, "low-frequency pair " + i + " divided by 8");
        for (int i = 29; i <= 34; i++) {
            assertTrue(scaled[i] < plain[i] && scaled[i] > plain[i] / 8, "pair " + i + " lies strictly between");
            // Independently: the frequency ratio moves linearly from 1/8 (at 1 rotation per original
            // context) to 1 (at 4 rotations) in the number of rotations 8192 / wavelength.
            double rotations = 8192 * plain[i] / (2 * Math.PI);
            double t = (rotations - 1) / (4 - 1);
            double expected = plain[i] * (1.0 / 8 + t * (1 - 1.0 / 8));
            assertEquals(expected, scaled[i], 1e-15 * plain[i], "medium pair " + i);
        }
        // The blend is monotone: the scale applied falls from 1 to 1/8 across the medium band.
        for (int i = 29; i < 34; i++) assertTrue(scaled[i + 1] / plain[i + 1] < scaled[i] / plain[i]);
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        double[] plain = RopeTable.inverseFrequencies(32, 10000, RopeTable.NO_SCALING);
        double[] scaled = RopeTable.inverseFrequencies(32, 10000, new RopeTable.Linear(4));
        for (int i = 0; i < 16; i++) assertEquals(plain[i] / 4, scaled[i], 0.0);
    }

    @Test
    void tableHoldsCosAndSinOfPositionTimesFrequency() {
        RopeTable table = new RopeTable(128, 500000, 10000, LLAMA31);
        double[] inv = table.inverseFrequencies();
        for (int pos : new int[] {0, 1, 17, 4096, 9999}) {
            for (int i : new int[] {0, 5, 31, 63}) {
                double angle = pos * inv[i];
                assertEquals((float) Math.cos(angle), table.cos(pos, i), 0f, "cos at " + pos + "," + i);
                assertEquals((float) Math.sin(angle), table.sin(pos, i), 0f, "sin at " + pos + "," + i);
            }
        }
    }

    @Test
    void invalidConfigurationsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RopeTable(7, 10000, 16));
        assertThrows(IllegalArgumentException.class, () -> new RopeTable(8, 10000, 0));
        assertThrows(IllegalArgumentException.class, () -> new RopeTable.Llama3(8, 4, 1, 8192));
        assertThrows(IllegalArgumentException.class, () -> new RopeTable.Linear(0));
    }
}
