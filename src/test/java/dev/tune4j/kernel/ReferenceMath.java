package dev.tune4j.kernel;

/** Float64 references for the tests: the normal CDF to ~1e-14 relative, independent of the kernels. */
public final class ReferenceMath {
    private ReferenceMath() {}

    /** Phi(x), the standard normal CDF, accurate to ~1e-14 relative also deep in the left tail. */
    public static double normalCdf(double x) {
        if (x > 0) return 1 - normalCdf(-x);
        double u = -x, z = u / Math.sqrt(2);
        if (z < 2) {
            // erf(z) = 2/sqrt(pi) e^(-z^2) sum_n z (2z^2)^n / (1*3*...*(2n+1)): all terms positive, no cancellation
            double term = z, sum = z;
            for (int n = 1; n < 200 && term > 1e-18 * sum; n++) {
                term *= 2 * z * z / (2 * n + 1);
                sum += term;
            }
            double erf = 2 / Math.sqrt(Math.PI) * Math.exp(-u * u / 2) * sum;
            return 0.5 * (1 - erf);
        }
        // erfc(z) = e^(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated from the tail
        double f = z;
        for (int k = 400; k >= 1; k--) f = z + (k / 2.0) / f;
        return 0.5 * Math.exp(-u * u / 2) / Math.sqrt(Math.PI) / f;
    }

    public static double geluErf(double x) {
        return x * normalCdf(x);
    }

    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }
}
