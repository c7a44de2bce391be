package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendental functions on float vectors, built only from IEEE add, multiply, fma, divide and
 * bit operations.
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP)}: its compiled form (Intel SVML) and its
 * interpreted fallback (per-lane Math.exp) may differ in the last bit, so a kernel's output would
 * change once the JIT compiles it, breaking bitwise determinism; without SVML (non-x86 machines) it
 * is also very slow. The functions here give the same bits compiled or interpreted, on every
 * machine with the same vector length, and the tail of an array goes through the same code with a
 * lane mask, so an element's result does not depend on its position.
 */
public final class VMath {
    private VMath() {}

    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    public static final int L = F.length();

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split in two so that n * LN2_HI is exact for |n| < 2^12 (Cody-Waite reduction).
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187e-06f;
    // Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits.
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
    // exp(x) overflows float above ~88.72 and rounds to 0 below ~-103.97.
    private static final float EXP_HI = 89f, EXP_LO = -104f;

    /**
     * e^x for every lane: at most ~2 ulp from the correctly rounded result, +inf above 88.72,
     * gradual underflow through the subnormals down to 0, NaN stays NaN.
     */
    public static FloatVector exp(FloatVector x) {
        // compare + blend rather than max/min: cheaper than Java's max semantics, and NaN stays NaN
        FloatVector xc = x.blend(EXP_LO, x.lt(EXP_LO)).blend(EXP_HI, x.compare(VectorOperators.GT, EXP_HI));
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);            // n = round(x / ln 2), in the low bits of t
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc).add(n.mul(-LN2_LO)); // r = x - n ln 2, |r| <= ln2/2
        // Taylor series to degree 7: truncation error < 5e-9 relative for |r| <= ln2/2.
        FloatVector p = r.fma(1f / 5040f, 1f / 720f);
        p = mad(p, r, 1f / 120f);
        p = mad(p, r, 1f / 24f);
        p = mad(p, r, 1f / 6f);
        p = mad(p, r, 0.5f);
        p = mad(p, r, 1f);
        p = mad(p, r, 1f);
        // 2^n in two factors so that n in [-150, 128] stays within the normal exponent range;
        // the second multiply rounds once into a subnormal or overflows to +inf where exp does.
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** a * b + c, rounded once. */
    private static FloatVector mad(FloatVector a, FloatVector b, float c) {
        return a.fma(b, FloatVector.broadcast(F, c));
    }

    /** 1 / (1 + e^-x); 0 for x below about -88 (e^-x overflows), 1 for large x. */
    public static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        return one.div(one.add(exp(x.neg())));
    }

    private static final float INV_SQRT_2PI = 0.3989422804014327f;
    // Phi(-u) = exp(-u^2/2) * t * Q(t) with t = 1 / (1 + u/4): Q is a degree-11 least-squares fit
    // (relative error 1.8e-9 in float64 over all u >= 0, Chebyshev nodes in t on [0, 1]); the
    // mapping makes Q smooth up to u = infinity, where Q(0) = 0.25 / sqrt(2 pi).
    private static final float Q0 = 0.0997355729341507f, Q1 = 0.09973550587892532f,
            Q2 = 0.09350551664829254f, Q3 = 0.08096057921648026f, Q4 = 0.0643385648727417f,
            Q5 = 0.037767622619867325f, Q6 = 0.04595091938972473f, Q7 = -0.052965693175792694f,
            Q8 = 0.10076870769262314f, Q9 = -0.11752549558877945f, Q10 = 0.058427635580301285f,
            Q11 = -0.010699432343244553f;
    // Phi(-15) = 3.7e-51 is 0 in float, so larger |x| change nothing; bounding u keeps x*x finite.
    private static final float PHI_U_MAX = 15f;

    /**
     * e^(-x^2/2), to a few ulp also for large |x|: x*x is split exactly into hi + lo (fma), so the
     * large exponent does not magnify the rounding of x^2; 0 for |x| beyond ~14.4.
     */
    public static FloatVector gaussian(FloatVector x) {
        FloatVector u = x.abs();
        u = u.blend(PHI_U_MAX, u.compare(VectorOperators.GT, PHI_U_MAX));
        FloatVector hi = u.mul(u);
        FloatVector lo = u.fma(u, hi.neg());                   // u*u - hi, exactly
        // e^(-(hi+lo)/2) = e^(-hi/2) * e^(-lo/2), and |lo| <= 2^-24 hi makes e^(-lo/2) = 1 - lo/2 to 1e-11
        return exp(hi.mul(-0.5f)).mul(lo.fma(-0.5f, 1f));
    }

    /**
     * The standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2, given g = {@link #gaussian}(x),
     * to a few ulp relative everywhere, including the far left tail where 1 + erf cancels.
     * Phi(-u) = g * G(u) for u = |x|; for x >= 0, Phi(x) = 1 - Phi(-x), which is at least 1/2, so
     * the subtraction loses nothing relative.
     */
    public static FloatVector normalCdf(FloatVector x, FloatVector g) {
        FloatVector u = x.abs();
        u = u.blend(PHI_U_MAX, u.compare(VectorOperators.GT, PHI_U_MAX));
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector t = one.div(u.fma(0.25f, 1f));
        FloatVector q = t.fma(Q11, Q10);
        q = mad(q, t, Q9);
        q = mad(q, t, Q8);
        q = mad(q, t, Q7);
        q = mad(q, t, Q6);
        q = mad(q, t, Q5);
        q = mad(q, t, Q4);
        q = mad(q, t, Q3);
        q = mad(q, t, Q2);
        q = mad(q, t, Q1);
        q = mad(q, t, Q0);
        FloatVector left = g.mul(t.mul(q));                    // Phi(-u)
        return left.blend(one.sub(left), x.compare(VectorOperators.GE, 0f));
    }

    /** The standard normal density, given g = {@link #gaussian}(x). */
    public static FloatVector normalPdf(FloatVector g) {
        return g.mul(INV_SQRT_2PI);
    }
}
