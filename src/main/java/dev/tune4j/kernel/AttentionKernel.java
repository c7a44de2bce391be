package dev.tune4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused scaled-dot-product attention, softmax(q·kᵀ·scale + mask)·v, forward and backward.
 *
 * <p>Layouts are the ones a linear projection produces, so nothing is transposed by the caller:
 * q and the output are [B, T, Hq, Dh], k and v are [B, S, Hkv, Dh]. Query head h reads kv head
 * h / (Hq / Hkv) (grouped-query attention; Hkv == Hq is plain multi-head attention).
 *
 * <p>Memory follows flash attention: the forward keeps only the per-row logsumexp [B, Hq, T] and
 * the backward recomputes the probabilities from it, one tile of query rows at a time, so no
 * [B, H, T, S] tensor outlives a call.
 *
 * <p>How the inner loops are vectorised:
 * <ul>
 *   <li>q·k for one query and all keys: the valid keys of one kv head are gathered transposed
 *       (Dh rows of keys) once per chunk, and the logits of L keys are built with Dh broadcast
 *       FMAs. This needs no horizontal reduction, which matters for Dh = 32 (two vectors per
 *       dot product, where a reduction would cost more than the FMAs), and it is bitwise
 *       reproducible: the Vector API leaves the order of a reduceLanes(ADD) unspecified, so it may
 *       differ between interpreted and compiled code.</li>
 *   <li>Weighted sums of rows (P·V, dS·K, Pᵀ·dO, dSᵀ·Q): vectorised over Dh, blocked over rows
 *       so an accumulator stays in a register for a whole block.</li>
 * </ul>
 *
 * <p>Threads: the forward splits query rows (B·Hq·T), the backward splits (batch, kv head) pairs,
 * so every output element is written by one chunk and results do not depend on the thread count.
 */
public final class AttentionKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows per block of a weighted row sum: a block of 64 rows of V fits in L1 for Dh <= 128. */
    private static final int ROW_BLOCK = 64;
    /** Query rows whose probabilities the backward holds at once. */
    private static final int Q_TILE = 32;

    private AttentionKernel() {}

    /** Problem sizes: batch B, queries T, keys S, query heads Hq, kv heads Hkv, head size Dh. */
    public record Dims(int batch, int queries, int keys, int queryHeads, int kvHeads, int headDim) {
        public Dims {
            if (batch < 0 || queries < 0 || keys < 0 || queryHeads < 1 || kvHeads < 1 || headDim < 1
                    || queryHeads % kvHeads != 0) {
                throw new IllegalArgumentException("AttentionKernel: bad sizes " + this);
            }
        }

        /** Query heads per kv head. */
        public int group() { return queryHeads / kvHeads; }

        int queryOffset(int b, int t, int h) { return ((b * queries + t) * queryHeads + h) * headDim; }

        int keyOffset(int b, int s, int h) { return ((b * keys + s) * kvHeads + h) * headDim; }
    }

    /**
     * Writes out [B, T, Hq, Dh] and, when lse is not null, the logsumexp of each row's scaled,
     * masked logits into lse [B, Hq, T] (-inf for a row that sees no key; its output is zero).
     */
    public static void forward(Dims d, float[] q, float[] k, float[] v, AttentionMask mask, float scale,
                               float[] out, float[] lse) {
        mask.checkShape("AttentionKernel", d.batch(), d.keys());
        AttentionMask.ValidKeys valid = mask.validKeys(d.batch(), d.keys());
        int T = d.queries(), S = d.keys(), Hq = d.queryHeads(), Dh = d.headDim();
        int rows = d.batch() * Hq * T;
        long rowWork = 4L * S * Dh;
        int minChunk = (int) Math.max(1, Math.min(rows, (1 << 16) / Math.max(1, rowWork)));
        int padded = roundUp(S);
        Parallel.forRange(rows, minChunk, (r0, r1) -> {
            float[] kt = new float[Dh * padded];
            float[] logits = new float[padded];
            float[] lanes = new float[L];
            int[] keyRows = new int[S];
            int gatheredFor = -1;
            for (int r = r0; r < r1; r++) {
                int t = r % T, bh = r / T, h = bh % Hq, b = bh / Hq, hk = h / d.group();
                int o = d.queryOffset(b, t, h);
                int n = valid.visible(mask, b, t, T, S);
                if (n == 0) {
                    java.util.Arrays.fill(out, o, o + Dh, 0f);
                    if (lse != null) lse[r] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                int kvPair = b * d.kvHeads() + hk;
                if (kvPair != gatheredFor) {
                    gather(d, b, hk, valid.index()[b], k, keyRows, kt, padded);
                    gatheredFor = kvPair;
                }
                keyDots(kt, padded, Dh, q, o, roundUp(n), logits);
                float max = scaleMask(logits, n, scale);
                float sum = expShift(logits, roundUp(n), max, lanes);
                java.util.Arrays.fill(out, o, o + Dh, 0f);
                weightedRowSum(logits, 0, 1, n, v, keyRows, out, o, Dh);
                scaleRow(out, o, Dh, 1f / sum);
                if (lse != null) lse[r] = max + (float) Math.log(sum);
            }
        });
    }

    /**
     * Accumulates (+=) the gradients of the attention inputs given dOut, the forward output and
     * its logsumexp. Any of dq, dk, dv may be null to skip it (a frozen input).
     */
    public static void backward(Dims d, float[] q, float[] k, float[] v, AttentionMask mask, float scale,
                                float[] out, float[] lse, float[] dOut,
                                float[] dq, float[] dk, float[] dv) {
        if (dq == null && dk == null && dv == null) return;
        mask.checkShape("AttentionKernel", d.batch(), d.keys());
        AttentionMask.ValidKeys valid = mask.validKeys(d.batch(), d.keys());
        int T = d.queries(), S = d.keys(), Hq = d.queryHeads(), Dh = d.headDim();
        int padded = roundUp(S);
        Parallel.forRange(d.batch() * d.kvHeads(), 1, (p0, p1) -> {
            float[] kt = new float[Dh * padded], vt = new float[Dh * padded];
            float[] p = new float[Q_TILE * padded], ds = new float[Q_TILE * padded];
            int[] keyRows = new int[S], tileRows = new int[Q_TILE], visible = new int[Q_TILE];
            for (int pair = p0; pair < p1; pair++) {
                int b = pair / d.kvHeads(), hk = pair % d.kvHeads();
                int nAll = valid.index()[b].length;
                if (nAll == 0) continue;
                gather(d, b, hk, valid.index()[b], k, keyRows, kt, padded);
                gather(d, b, hk, valid.index()[b], v, keyRows, vt, padded);
                for (int h = hk * d.group(); h < (hk + 1) * d.group(); h++) {
                    for (int t0 = 0; t0 < T; t0 += Q_TILE) {
                        int rowsInTile = Math.min(Q_TILE, T - t0), nMax = 0;
                        for (int i = 0; i < rowsInTile; i++) {
                            int t = t0 + i;
                            tileRows[i] = d.queryOffset(b, t, h);
                            visible[i] = valid.visible(mask, b, t, T, S);
                            nMax = Math.max(nMax, visible[i]);
                        }
                        if (nMax == 0) continue;
                        // Probabilities P and logit gradients dS = P * (dP - rowsum(dO * O)) * scale.
                        for (int i = 0; i < rowsInTile; i++) {
                            int n = visible[i], o = tileRows[i], row = i * padded;
                            java.util.Arrays.fill(p, row, row + nMax, 0f);
                            java.util.Arrays.fill(ds, row, row + nMax, 0f);
                            if (n == 0) continue;
                            float rowLse = lse[(b * Hq + h) * T + t0 + i];
                            keyDots(kt, padded, Dh, q, o, roundUp(n), p, row);
                            keyDots(vt, padded, Dh, dOut, o, roundUp(n), ds, row);
                            float outDotGrad = 0f;
                            for (int c = 0; c < Dh; c++) outDotGrad = Math.fma(dOut[o + c], out[o + c], outDotGrad);
                            probabilitiesAndLogitGrads(p, ds, row, n, scale, rowLse, outDotGrad);
                            if (dq != null) weightedRowSum(ds, row, 1, n, k, keyRows, dq, o, Dh);
                        }
                        // Keys: dV_j += sum_t P[t][j] dO_t and dK_j += sum_t dS[t][j] q_t over the tile.
                        for (int j = 0; j < nMax; j++) {
                            if (dv != null) weightedRowSum(p, j, padded, rowsInTile, dOut, tileRows, dv, keyRows[j], Dh);
                            if (dk != null) weightedRowSum(ds, j, padded, rowsInTile, q, tileRows, dk, keyRows[j], Dh);
                        }
                    }
                }
            }
        });
    }

    /**
     * Gathers the valid keys (positions index) of kv head hk, batch row b: their row offsets into
     * rows, and the rows transposed into dst [Dh][padded] (zero beyond the last key).
     */
    private static void gather(Dims d, int b, int hk, int[] index, float[] src, int[] rows, float[] dst, int padded) {
        int n = index.length, Dh = d.headDim();
        for (int j = 0; j < n; j++) {
            int o = d.keyOffset(b, index[j], hk);
            rows[j] = o;
            for (int c = 0; c < Dh; c++) dst[c * padded + j] = src[o + c];
        }
        for (int c = 0; c < Dh; c++) java.util.Arrays.fill(dst, c * padded + n, (c + 1) * padded, 0f);
    }

    private static void keyDots(float[] kt, int padded, int Dh, float[] x, int xo, int n, float[] dst) {
        keyDots(kt, padded, Dh, x, xo, n, dst, 0);
    }

    /**
     * dst[dstOff + j] = sum_c x[xo + c] * kt[c][j] for j < n (n a multiple of L). Four key vectors
     * at a time so four independent FMA chains hide the FMA latency; every lane sums over c in the
     * same order, so the result does not depend on the blocking.
     */
    private static void keyDots(float[] kt, int padded, int Dh, float[] x, int xo, int n, float[] dst, int dstOff) {
        int j = 0;
        for (; j + 4 * L <= n; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0, base = j; c < Dh; c++, base += padded) {
                FloatVector xc = FloatVector.broadcast(F, x[xo + c]);
                a0 = FloatVector.fromArray(F, kt, base).fma(xc, a0);
                a1 = FloatVector.fromArray(F, kt, base + L).fma(xc, a1);
                a2 = FloatVector.fromArray(F, kt, base + 2 * L).fma(xc, a2);
                a3 = FloatVector.fromArray(F, kt, base + 3 * L).fma(xc, a3);
            }
            a0.intoArray(dst, dstOff + j);
            a1.intoArray(dst, dstOff + j + L);
            a2.intoArray(dst, dstOff + j + 2 * L);
            a3.intoArray(dst, dstOff + j + 3 * L);
        }
        for (; j < n; j += L) {
            FloatVector a = FloatVector.zero(F);
            for (int c = 0, base = j; c < Dh; c++, base += padded) {
                a = FloatVector.fromArray(F, kt, base).fma(FloatVector.broadcast(F, x[xo + c]), a);
            }
            a.intoArray(dst, dstOff + j);
        }
    }

    /** Scales the first n logits, sets the rest of the last vector to -inf; returns the max. */
    private static float scaleMask(float[] x, int n, float scale) {
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector negInf = max;
        for (int j = 0; j < n; j += L) {
            FloatVector s = FloatVector.fromArray(F, x, j).mul(scale);
            if (j + L > n) s = negInf.blend(s, F.indexInRange(j, n));
            s.intoArray(x, j);
            max = max.max(s);
        }
        return max.reduceLanes(VectorOperators.MAX); // exact in any order
    }

    /** x = exp(x - shift) over n (a multiple of L) entries; returns the sum in a fixed order. */
    private static float expShift(float[] x, int n, float shift, float[] lanes) {
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            FloatVector e = FloatVector.fromArray(F, x, j).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(x, j);
            sum = sum.add(e);
        }
        sum.intoArray(lanes, 0);
        float s = 0f;
        for (float lane : lanes) s += lane;
        return s;
    }

    /**
     * Turns raw logits p[row..] into probabilities exp(l * scale - lse) and raw dP = dO·v in
     * ds[row..] into dS = P * (dP - rowsum(dO * O)) * scale, for the first n keys; the rest of the
     * last vector is set to zero.
     */
    private static void probabilitiesAndLogitGrads(float[] p, float[] ds, int row, int n, float scale,
                                                   float lse, float outDotGrad) {
        FloatVector zero = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            FloatVector pj = FloatVector.fromArray(F, p, row + j).mul(scale).sub(lse).lanewise(VectorOperators.EXP);
            if (j + L > n) pj = zero.blend(pj, F.indexInRange(j, n));
            FloatVector dsj = FloatVector.fromArray(F, ds, row + j).sub(outDotGrad).mul(pj).mul(scale);
            pj.intoArray(p, row + j);
            dsj.intoArray(ds, row + j);
        }
    }

    /**
     * dst[dstOff + c] += sum_i w[wOff + i * wStride] * src[rows[i] + c] for c < Dh, i < n.
     * Vectorised over c; rows are taken in blocks with four independent accumulators.
     */
    static void weightedRowSum(float[] w, int wOff, int wStride, int n, float[] src, int[] rows,
                               float[] dst, int dstOff, int Dh) {
        int bound = F.loopBound(Dh);
        for (int i0 = 0; i0 < n; i0 += ROW_BLOCK) {
            int i1 = Math.min(n, i0 + ROW_BLOCK);
            for (int c = 0; c < bound; c += L) {
                FloatVector a0 = FloatVector.fromArray(F, dst, dstOff + c);
                FloatVector a1 = FloatVector.zero(F), a2 = a1, a3 = a1;
                int i = i0;
                for (; i + 4 <= i1; i += 4) {
                    int wi = wOff + i * wStride;
                    a0 = FloatVector.fromArray(F, src, rows[i] + c).fma(FloatVector.broadcast(F, w[wi]), a0);
                    a1 = FloatVector.fromArray(F, src, rows[i + 1] + c).fma(FloatVector.broadcast(F, w[wi + wStride]), a1);
                    a2 = FloatVector.fromArray(F, src, rows[i + 2] + c).fma(FloatVector.broadcast(F, w[wi + 2 * wStride]), a2);
                    a3 = FloatVector.fromArray(F, src, rows[i + 3] + c).fma(FloatVector.broadcast(F, w[wi + 3 * wStride]), a3);
                }
                for (; i < i1; i++) a0 = FloatVector.fromArray(F, src, rows[i] + c).fma(FloatVector.broadcast(F, w[wOff + i * wStride]), a0);
                a0.add(a1).add(a2.add(a3)).intoArray(dst, dstOff + c);
            }
            for (int c = bound; c < Dh; c++) {
                float a = dst[dstOff + c];
                for (int i = i0; i < i1; i++) a = Math.fma(w[wOff + i * wStride], src[rows[i] + c], a);
                dst[dstOff + c] = a;
            }
        }
    }

    private static void scaleRow(float[] x, int off, int n, float s) {
        int bound = F.loopBound(n), c = 0;
        for (; c < bound; c += L) FloatVector.fromArray(F, x, off + c).mul(s).intoArray(x, off + c);
        for (; c < n; c++) x[off + c] *= s;
    }

    private static int roundUp(int n) {
        return (n + L - 1) / L * L;
    }
}
