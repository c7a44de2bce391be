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

    // How these are written is shaped by C2's inlining budget. C2 stops inlining our own methods
    // (not the Vector API's, which are @ForceInline) once a compilation has created ~18000 IR nodes
    // (NodeCountInliningCutoff, not settable in product JVMs), and a method taking or returning
    // vectors that is left out of line boxes them on the heap: a 5-10x slowdown. So: constants are
    // pre-broadcast vectors (a scalar operand costs a broadcast subtree per use), these functions
    // call no helpers of their own beyond exp, and a kernel loop calls at most one or two of them,
    // first, with the rest written as plain Vector API calls. KernelAllocationTest checks it.
    private static FloatVector c(float v) {
        return FloatVector.broadcast(F, v);
    }

    private static final FloatVector ONE = c(1f);
    private static final FloatVector LOG2E = c(1.44269504088896341f);
    // ln 2 split in two so that n * LN2_HI is exact for |n| < 2^12 (Cody-Waite reduction).
    private static final FloatVector NEG_LN2_HI = c(-0.693145751953125f);
    private static final FloatVector NEG_LN2_LO = c(-1.428606765330187e-06f);
    // Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits.
    private static final FloatVector ROUND_MAGIC = c(12582912f);
    // turns the bits of t = magic + n into n + 254, the sum of the two biased exponents of 2^n
    private static final IntVector TWICE_BIAS_MINUS_MAGIC =
            IntVector.broadcast(VectorSpecies.of(int.class, F.vectorShape()), 254 - Float.floatToRawIntBits(12582912f));
    // exp(x) overflows float above ~88.72 and rounds to 0 below ~-103.97.
    private static final FloatVector EXP_HI = c(89f), EXP_LO = c(-104f);
    // Taylor coefficients 1/k!, k = 7..2
    private static final FloatVector E7 = c(1f / 5040f), E6 = c(1f / 720f), E5 = c(1f / 120f), E4 = c(1f / 24f),
            E3 = c(1f / 6f), E2 = c(0.5f);

    /**
     * e^x for every lane: within 1 ulp of the float64 result over the normal range (measured 0.87),
     * +inf above 88.72, gradual underflow through the subnormals down to 0, NaN stays NaN.
     */
    public static FloatVector exp(FloatVector x) {
        // compare + blend rather than max/min: cheaper than Java's max semantics, and NaN stays NaN
        FloatVector xc = x.blend(EXP_LO, x.compare(VectorOperators.LT, EXP_LO)).blend(EXP_HI, x.compare(VectorOperators.GT, EXP_HI));
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);            // n = round(x / ln 2), in the low bits of t
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(NEG_LN2_HI, xc).add(n.mul(NEG_LN2_LO)); // r = x - n ln 2, |r| <= ln2/2
        // Taylor series to degree 7: truncation error < 5e-9 relative for |r| <= ln2/2.
        FloatVector p = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).fma(r, ONE);
        // 2^n in two factors so that n in [-150, 128] stays within the normal exponent range;
        // the second multiply rounds once into a subnormal or overflows to +inf where exp does.
        IntVector e = t.reinterpretAsInts().add(TWICE_BIAS_MINUS_MAGIC);  // (n1 + 127) + (n2 + 127), n1 + n2 = n
        IntVector e2 = e.lanewise(VectorOperators.ASHR, 1);                // in [52, 191]: a normal exponent
        FloatVector s1 = e.sub(e2).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = e2.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** 1 / (1 + e^-x); 0 for x below about -88 (e^-x overflows), 1 for large x. */
    public static FloatVector sigmoid(FloatVector x) {
        return ONE.div(ONE.add(exp(x.neg())));
    }

    // Phi(-u) = exp(-u^2/2) * t * Q(t) with t = 1 / (1 + u/4): Q is a degree-11 least-squares fit
    // (relative error 1.8e-9 in float64 over all u >= 0, Chebyshev nodes in t on [0, 1]); the
    // mapping makes Q smooth up to u = infinity, where Q(0) = 0.25 / sqrt(2 pi).
    private static final FloatVector Q0 = c(0.0997355729341507f), Q1 = c(0.09973550587892532f),
            Q2 = c(0.09350551664829254f), Q3 = c(0.08096057921648026f), Q4 = c(0.0643385648727417f),
            Q5 = c(0.037767622619867325f), Q6 = c(0.04595091938972473f), Q7 = c(-0.052965693175792694f),
            Q8 = c(0.10076870769262314f), Q9 = c(-0.11752549558877945f), Q10 = c(0.058427635580301285f),
            Q11 = c(-0.010699432343244553f);
    // Phi(-15) = 3.7e-51 is 0 in float, so larger |x| change nothing; bounding u keeps x*x finite.
    private static final FloatVector PHI_U_MAX = c(15f);
    private static final FloatVector MINUS_HALF = c(-0.5f), QUARTER = c(0.25f);

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
        return exp(hi.mul(MINUS_HALF)).mul(lo.fma(MINUS_HALF, ONE));
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
        FloatVector t = ONE.div(u.fma(QUARTER, ONE));
        FloatVector q = t.fma(Q11, Q10).fma(t, Q9).fma(t, Q8).fma(t, Q7).fma(t, Q6).fma(t, Q5)
                .fma(t, Q4).fma(t, Q3).fma(t, Q2).fma(t, Q1).fma(t, Q0);
        FloatVector left = g.mul(t.mul(q));                    // Phi(-u)
        return left.blend(ONE.sub(left), x.compare(VectorOperators.GE, 0f));
    }

    // tanh(x) = x + x^3 P(x^2) for |x| < 0.625: P is a degree-4 least-squares fit (relative error
    // 4.6e-9 in float64 on tanh, Chebyshev nodes, weighted for relative error), where the exp form
    // below would cancel; beyond, 1 - 2 / (e^(2|x|) + 1) loses nothing (the result is above 0.55).
    private static final FloatVector T0 = c(-0.3333328664302826f), T1 = c(0.13331513106822968f),
            T2 = c(-0.05374465882778168f), T3 = c(0.020653124898672104f), T4 = c(-0.0057189627550542355f);
    private static final FloatVector TANH_POLY_MAX = c(0.625f), TWO = c(2f);

    /**
     * tanh(x), within 2 ulp of the float64 result everywhere: odd by construction (computed on |x|,
     * the sign copied back), exactly +-1 beyond |x| ~ 9, NaN stays NaN.
     */
    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector u = a.mul(a);
        FloatVector small = u.fma(T4, T3).fma(u, T2).fma(u, T1).fma(u, T0).mul(u).fma(a, a);
        FloatVector large = ONE.sub(TWO.div(exp(a.add(a)).add(ONE)));   // e^(2|x|) = inf gives exactly 1
        FloatVector r = large.blend(small, a.compare(VectorOperators.LT, TANH_POLY_MAX));
        // |r| with x's sign bit: tanh(-0) = -0
        IntVector sign = x.reinterpretAsInts().and(Integer.MIN_VALUE);
        return r.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }
}
