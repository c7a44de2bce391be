package dev.tune4j.kernel;

/**
 * Naive float64 attention, written directly from the definition, to check the kernel against:
 * per batch row b, query head h and query t, softmax over the allowed keys of q·k·scale, then the
 * weighted sum of v. Layouts as in the kernel: q [B,T,Hq,Dh], k and v [B,S,Hkv,Dh].
 */
public final class AttentionReference {
    public final int B, T, S, Hq, Hkv, Dh;
    public final boolean causal;
    public final int[][] keyValid;
    public final double scale;
    /** Keys before the first query (-1: S - T); packed example ids [B][S] or null. */
    public final int past;
    public final int[][] segments;

    public AttentionReference(int B, int T, int S, int Hq, int Hkv, int Dh, boolean causal, int[][] keyValid, double scale) {
        this(B, T, S, Hq, Hkv, Dh, causal, keyValid, scale, -1, null);
    }

    public AttentionReference(int B, int T, int S, int Hq, int Hkv, int Dh, boolean causal, int[][] keyValid, double scale,
                              int past, int[][] segments) {
        this.B = B; this.T = T; this.S = S; this.Hq = Hq; this.Hkv = Hkv; this.Dh = Dh;
        this.causal = causal; this.keyValid = keyValid; this.scale = scale;
        this.past = past; this.segments = segments;
    }

    public boolean allowed(int b, int t, int s) {
        int position = t + (past >= 0 ? past : S - T);
        if (causal && s > position) return false;
        if (segments != null && segments[b][s] != segments[b][Math.min(S - 1, position)]) return false;
        return keyValid == null || keyValid[b][s] == 1;
    }

    private int qi(int b, int t, int h, int c) { return ((b * T + t) * Hq + h) * Dh + c; }

    private int ki(int b, int s, int h, int c) { return ((b * S + s) * Hkv + h) * Dh + c; }

    /** Softmax probabilities of query (b, t, h) over the S keys (all zero when none is allowed). */
    public double[] probabilities(float[] q, float[] k, int b, int t, int h) {
        int hk = h / (Hq / Hkv);
        double[] p = new double[S];
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < S; s++) {
            if (!allowed(b, t, s)) continue;
            double dot = 0;
            for (int c = 0; c < Dh; c++) dot += (double) q[qi(b, t, h, c)] * k[ki(b, s, hk, c)];
            p[s] = dot * scale;
            max = Math.max(max, p[s]);
        }
        if (max == Double.NEGATIVE_INFINITY) return new double[S];
        double sum = 0;
        for (int s = 0; s < S; s++) {
            p[s] = allowed(b, t, s) ? Math.exp(p[s] - max) : 0;
            sum += p[s];
        }
        for (int s = 0; s < S; s++) p[s] /= sum;
        return p;
    }

    public double[] forward(float[] q, float[] k, float[] v) {
        double[] out = new double[B * T * Hq * Dh];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < Hq; h++)
                for (int t = 0; t < T; t++) {
                    double[] p = probabilities(q, k, b, t, h);
                    int hk = h / (Hq / Hkv);
                    for (int s = 0; s < S; s++)
                        for (int c = 0; c < Dh; c++) out[qi(b, t, h, c)] += p[s] * v[ki(b, s, hk, c)];
                }
        return out;
    }

    /** Gradients {dq, dk, dv} of sum(dOut * out), from the softmax Jacobian in float64. */
    public double[][] backward(float[] q, float[] k, float[] v, float[] dOut) {
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < Hq; h++)
                for (int t = 0; t < T; t++) {
                    double[] p = probabilities(q, k, b, t, h);
                    int hk = h / (Hq / Hkv);
                    double[] dp = new double[S];
                    double pdp = 0;
                    for (int s = 0; s < S; s++) {
                        for (int c = 0; c < Dh; c++) dp[s] += (double) dOut[qi(b, t, h, c)] * v[ki(b, s, hk, c)];
                        pdp += p[s] * dp[s];
                    }
                    for (int s = 0; s < S; s++) {
                        double dLogit = p[s] * (dp[s] - pdp) * scale;
                        for (int c = 0; c < Dh; c++) {
                            dq[qi(b, t, h, c)] += dLogit * k[ki(b, s, hk, c)];
                            dk[ki(b, s, hk, c)] += dLogit * q[qi(b, t, h, c)];
                            dv[ki(b, s, hk, c)] += p[s] * dOut[qi(b, t, h, c)];
                        }
                    }
                }
        return new double[][] {dq, dk, dv};
    }
}
