package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static dev.tune4j.kernel.VMath.F;
import static dev.tune4j.kernel.VMath.L;
import static org.junit.jupiter.api.Assertions.*;

class VMathTest {

    private static float[] map(float[] x, java.util.function.UnaryOperator<FloatVector> f) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += L) {
            var m = F.indexInRange(i, x.length);
            f.apply(FloatVector.fromArray(F, x, i, m)).intoArray(y, i, m);
        }
        return y;
    }

    /** Distance in units in the last place of the float nearest the float64 reference. */
    private static double ulps(float got, double want) {
        float w = (float) want;
        return Math.abs(got - want) / Math.ulp(w);
    }

    @Test
    void expIsWithinTwoUlpOverTheWholeNormalRange() {
        int n = 200_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -87.3f + (88.7f + 87.3f) * i / (n - 1);
        float[] y = map(x, VMath::exp);
        double worst = 0;
        for (int i = 0; i < n; i++) worst = Math.max(worst, ulps(y[i], Math.exp(x[i])));
        System.out.println("VMATH exp max ulp error " + worst);
        assertTrue(worst <= 2, "exp max error " + worst + " ulp");
    }

    @Test
    void expHandlesOverflowUnderflowAndSpecialValues() {
        float[] x = {0f, -0f, 88.72f, 88.73f, 1000f, Float.POSITIVE_INFINITY, -90f, -100f, -103.2f, -104f, -1e30f,
                Float.NEGATIVE_INFINITY, Float.NaN};
        float[] y = map(x, VMath::exp);
        assertEquals(1f, y[0]);
        assertEquals(1f, y[1]);
        assertEquals((float) Math.exp(88.72f), y[2], Math.ulp((float) Math.exp(88.72f)) * 2);
        assertEquals(Float.POSITIVE_INFINITY, y[3]);
        assertEquals(Float.POSITIVE_INFINITY, y[4]);
        assertEquals(Float.POSITIVE_INFINITY, y[5]);
        // subnormal results: within one subnormal step (2^-149) of the true value
        for (int i = 6; i <= 8; i++) assertEquals(Math.exp(x[i]), y[i], Float.MIN_VALUE, "exp(" + x[i] + ")");
        assertEquals(0f, y[9]);
        assertEquals(0f, y[10]);
        assertEquals(0f, y[11]);
        assertTrue(Float.isNaN(y[12]));
    }

    @Test
    void referenceCdfMatchesHighPrecisionValues() {
        // mpmath.ncdf at 30 digits
        double[][] known = {{-0.3, 0.382088577811047366927726377236}, {-1, 0.158655253931457051414767454368},
                {-3.5, 0.000232629079035525036349925886728}, {-7, 1.27981254388583500438362369078e-12},
                {-12, 1.77648211207767899769617100185e-33}, {-14, 7.7935368191928002543596818389e-45}};
        for (double[] k : known) assertEquals(1, ReferenceMath.normalCdf(k[0]) / k[1], 1e-13, "Phi(" + k[0] + ")");
    }

    @Test
    void normalCdfIsAccurateRelativeToItselfIncludingTheFarLeftTail() {
        int n = 100_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -13f + 20f * i / (n - 1);
        float[] y = map(x, v -> VMath.normalCdf(v, VMath.gaussian(v)));
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double want = ReferenceMath.normalCdf(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - want) / want);
        }
        System.out.println("VMATH normalCdf max rel error " + worst);
        // ~4 float roundings (exp, the 1/(1+u/4) map, Horner, products) bound it to ~5 ulp: measured 3.8e-7 on 2M points
        assertTrue(worst < 5e-7, "Phi max relative error " + worst);
    }

    @Test
    void tanhIsWithinTwoUlpFromTinyToSaturatedArguments() {
        // a linear sweep over [-12, 12] plus a geometric one down to 1e-30, where x + x^3 P must still give x
        int n = 200_001;
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) x[i] = -12f + 24f * i / (n - 1);
        for (int i = 0; i < n; i++) x[n + i] = (float) Math.pow(10, -30 + 30.0 * i / (n - 1));
        float[] y = map(x, VMath::tanh);
        double worst = 0;
        for (int i = 0; i < x.length; i++) worst = Math.max(worst, ulps(y[i], Math.tanh(x[i])));
        System.out.println("VMATH tanh max ulp error " + worst);
        assertTrue(worst <= 2, "tanh max error " + worst + " ulp");
    }

    @Test
    void tanhIsOddAndHandlesSpecialValues() {
        float[] x = {0f, -0f, 9.5f, -9.5f, 50f, 1e30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE};
        float[] y = map(x, VMath::tanh);
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(y[0]));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(y[1]));
        assertEquals(1f, y[2]);
        assertEquals(-1f, y[3]);
        assertEquals(1f, y[4]);
        assertEquals(1f, y[5]);
        assertEquals(1f, y[6]);
        assertEquals(-1f, y[7]);
        assertTrue(Float.isNaN(y[8]));
        assertEquals(Float.MIN_VALUE, y[9]);
        float[] pos = new float[1001], neg = new float[1001];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = (float) Math.sin(i * 0.53) * 4f;
            neg[i] = -pos[i];
        }
        float[] yp = map(pos, VMath::tanh), yn = map(neg, VMath::tanh);
        for (int i = 0; i < pos.length; i++) assertEquals(Float.floatToRawIntBits(-yp[i]), Float.floatToRawIntBits(yn[i]), "tanh(" + pos[i] + ")");
    }

    @Test
    void aLanesResultDoesNotDependOnItsPositionOrTheMask() {
        float[] x = new float[3 * L + 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * 20f;
        float[] whole = map(x, VMath::exp);
        for (int shift = 1; shift < L; shift++) {
            float[] xs = java.util.Arrays.copyOfRange(x, shift, x.length);
            float[] ys = map(xs, VMath::exp);
            for (int i = 0; i < xs.length; i++) assertEquals(Float.floatToRawIntBits(whole[i + shift]), Float.floatToRawIntBits(ys[i]));
        }
    }

    /** exp, Phi and the lane sum of a whole array, written into out: a fresh method, so its first call runs interpreted. */
    private static float transcendentalsOf(float[] x, float[] out) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < x.length; i += L) {
            var m = F.indexInRange(i, x.length);
            FloatVector v = FloatVector.fromArray(F, x, i, m);
            FloatVector e = VMath.exp(v);
            e.add(VMath.normalCdf(v, VMath.gaussian(v))).intoArray(out, i, m);
            acc = acc.add(e, m);
        }
        return Reduce.laneSum(acc);
    }

    @Test
    void resultsAreTheSameBitsInterpretedAndJitCompiled() {
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.731) * 12f;
        float[] first = new float[x.length], later = new float[x.length];
        float firstSum = transcendentalsOf(x, first);
        float laterSum = 0;
        for (int rep = 0; rep < 20_000; rep++) laterSum = transcendentalsOf(x, later);
        assertEquals(Float.floatToRawIntBits(firstSum), Float.floatToRawIntBits(laterSum));
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(first[i]), Float.floatToRawIntBits(later[i]), "element " + i);
    }
}
