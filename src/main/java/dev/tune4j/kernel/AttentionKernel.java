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
 * <p>How the inner loops are vectorised (both register-tiled over four rows, so every vector
 * loaded serves four rows):
 * <ul>
 *   <li>q·k for a query and all keys ({@link #dots4}): the valid keys of one kv head are gathered
 *       transposed (Dh rows of keys) once per chunk, and the logits of L keys are built with Dh
 *       broadcast FMAs. This needs no horizontal reduction, which matters for Dh = 32 (two
 *       vectors per dot product, where a reduction costs more than the FMAs), and it is bitwise
 *       reproducible: the Vector API leaves the order of a reduceLanes(ADD) unspecified, so it may
 *       differ between interpreted and compiled code.</li>
 *   <li>Weighted sums of rows (P·V, dS·K, Pᵀ·dO, dSᵀ·Q; {@link #rowSums4}): vectorised over Dh,
 *       blocked over rows.</li>
 * </ul>
 *
 * <p>Threads: the forward splits tiles of four query rows at fixed positions (B·Hq·⌈T/4⌉), the
 * backward splits (batch, kv head) pairs, so every output element is written by one chunk, always
 * with the same operations in the same order, and results do not depend on the thread count.
 */
public final class AttentionKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows per block of a weighted row sum: a block of 64 rows of V fits in L1 for Dh <= 128. */
    private static final int ROW_BLOCK = 64;
    /** Rows handled together by the register-tiled inner kernels (dots4, rowSums4). */
    private static final int R = 4;
    /** Query rows whose probabilities the backward holds at once (a multiple of R). */
    private static final int Q_TILE = 32;

    private AttentionKernel() {}

    /** Problem sizes: batch B, queries T, keys S, query heads Hq, kv heads Hkv, head size Dh. */
    public record Dims(int batch, int queries, int keys, int queryHeads, int kvHeads, int headDim) {
        public Dims {
            if (batch < 0 || queries < 0 || keys < 0 || queryHeads < 1 || kvHeads < 1 || headDim < 1
                    || queryHeads % kvHeads != 0) {
                throw new IllegalArgumentException("AttentionKernel: bad sizes B=" + batch + " T=" + queries
                        + " S=" + keys + " Hq=" + queryHeads + " Hkv=" + kvHeads + " Dh=" + headDim);
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
        int tilesPerHead = (T + R - 1) / R, tiles = d.batch() * Hq * tilesPerHead;
        long tileWork = 4L * R * S * Dh;
        int minChunk = (int) Math.max(1, Math.min(tiles, (1 << 16) / Math.max(1, tileWork)));
        int padded = roundUp(S);
        Parallel.forRange(tiles, minChunk, (u0, u1) -> {
            float[] kt = new float[Dh * padded], prob = new float[R * padded], lanes = new float[L];
            float[] invSum = new float[R];
            int[] keyRows = new int[S], outRows = new int[R], probRows = new int[R], visible = new int[R];
            int gatheredFor = -1;
            for (int u = u0; u < u1; u++) {
                int bh = u / tilesPerHead, t0 = (u % tilesPerHead) * R;
                int b = bh / Hq, h = bh % Hq, hk = h / d.group();
                int real = Math.min(R, T - t0), nMax = 0;
                for (int r = 0; r < R; r++) {
                    int i = Math.min(r, real - 1); // rows past T repeat the last one (see rowSums4)
                    outRows[r] = d.queryOffset(b, t0 + i, h);
                    probRows[r] = i * padded;
                    visible[r] = valid.visible(mask, b, t0 + i, T, S);
                    nMax = Math.max(nMax, visible[r]);
                    if (r < real) java.util.Arrays.fill(out, outRows[r], outRows[r] + Dh, 0f);
                }
                if (nMax > 0 && b * d.kvHeads() + hk != gatheredFor) {
                    gather(d, b, hk, valid.index()[b], k, keyRows, kt, padded);
                    gatheredFor = b * d.kvHeads() + hk;
                }
                if (nMax > 0) dots4(kt, padded, Dh, q, outRows, roundUp(nMax), prob, 0, padded);
                for (int r = 0; r < real; r++) {
                    int n = visible[r], row = r * padded;
                    if (n == 0) {
                        java.util.Arrays.fill(prob, row, row + nMax, 0f);
                        invSum[r] = 0f;
                        if (lse != null) lse[bh * T + t0 + r] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    float max = scaleMask(prob, row, n, scale);
                    float sum = expShift(prob, row, roundUp(n), max, lanes);
                    if (roundUp(n) < nMax) java.util.Arrays.fill(prob, row + roundUp(n), row + nMax, 0f);
                    invSum[r] = 1f / sum;
                    if (lse != null) lse[bh * T + t0 + r] = max + (float) Math.log(sum);
                }
                if (nMax == 0) continue;
                rowSums4(prob, probRows, 1, nMax, v, keyRows, out, outRows, Dh);
                for (int r = 0; r < real; r++) scaleRow(out, outRows[r], Dh, invSum[r]);
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
            int[] rows4 = new int[R], weights4 = new int[R], dst4 = new int[R];
            for (int pair = p0; pair < p1; pair++) {
                int b = pair / d.kvHeads(), hk = pair % d.kvHeads();
                if (valid.index()[b].length == 0) continue;
                gather(d, b, hk, valid.index()[b], k, keyRows, kt, padded);
                gather(d, b, hk, valid.index()[b], v, keyRows, vt, padded);
                for (int h = hk * d.group(); h < (hk + 1) * d.group(); h++) {
                    int lseRow = (b * Hq + h) * T;
                    for (int t0 = 0; t0 < T; t0 += Q_TILE) {
                        int rowsInTile = Math.min(Q_TILE, T - t0), nMax = 0;
                        for (int i = 0; i < rowsInTile; i++) {
                            tileRows[i] = d.queryOffset(b, t0 + i, h);
                            visible[i] = valid.visible(mask, b, t0 + i, T, S);
                            nMax = Math.max(nMax, visible[i]);
                        }
                        if (nMax == 0) continue;
                        // Query rows, four at a time: P, dS = P * (dP - rowsum(dO * O)) * scale, dq.
                        for (int g = 0; g < rowsInTile; g += R) {
                            int real = Math.min(R, rowsInTile - g), groupMax = 0;
                            for (int r = 0; r < R; r++) {
                                int i = g + Math.min(r, real - 1);
                                rows4[r] = tileRows[i];
                                weights4[r] = i * padded;
                                groupMax = Math.max(groupMax, visible[i]);
                            }
                            if (groupMax > 0) {
                                dots4(kt, padded, Dh, q, rows4, roundUp(groupMax), p, g * padded, padded);
                                dots4(vt, padded, Dh, dOut, rows4, roundUp(groupMax), ds, g * padded, padded);
                            }
                            for (int i = g; i < g + real; i++) {
                                int n = visible[i], o = tileRows[i], row = i * padded;
                                int from = n == 0 ? 0 : roundUp(n);
                                if (n > 0) {
                                    float outDotGrad = 0f;
                                    for (int c = 0; c < Dh; c++) outDotGrad = Math.fma(dOut[o + c], out[o + c], outDotGrad);
                                    probabilitiesAndLogitGrads(p, ds, row, n, scale, lse[lseRow + t0 + i], outDotGrad);
                                }
                                if (from < nMax) {
                                    java.util.Arrays.fill(p, row + from, row + nMax, 0f);
                                    java.util.Arrays.fill(ds, row + from, row + nMax, 0f);
                                }
                            }
                            if (dq != null && groupMax > 0) rowSums4(ds, weights4, 1, groupMax, k, keyRows, dq, rows4, Dh);
                        }
                        // Keys, four at a time: dV_j += sum_t P[t][j] dO_t, dK_j += sum_t dS[t][j] q_t.
                        for (int j0 = 0; j0 < nMax; j0 += R) {
                            for (int r = 0; r < R; r++) {
                                int j = Math.min(j0 + r, nMax - 1);
                                weights4[r] = j;
                                dst4[r] = keyRows[j];
                            }
                            if (dv != null) rowSums4(p, weights4, padded, rowsInTile, dOut, tileRows, dv, dst4, Dh);
                            if (dk != null) rowSums4(ds, weights4, padded, rowsInTile, q, tileRows, dk, dst4, Dh);
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

    /**
     * For R = 4 vectors x_r (at xRows[r]) and keys stored transposed in kt [Dh][padded]:
     * dst[dstOff + r * dstStride + j] = sum_c x_r[c] * kt[c][j] for j < n (n a multiple of L).
     * Each loaded key vector serves four rows. Every lane sums over c in the same order, so a
     * row's result does not depend on the blocking or on the other rows.
     */
    static void dots4(float[] kt, int padded, int Dh, float[] x, int[] xRows, int n,
                      float[] dst, int dstOff, int dstStride) {
        int x0 = xRows[0], x1 = xRows[1], x2 = xRows[2], x3 = xRows[3];
        int d0 = dstOff, d1 = d0 + dstStride, d2 = d1 + dstStride, d3 = d2 + dstStride;
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
            FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int c = 0, base = j; c < Dh; c++, base += padded) {
                FloatVector k0 = FloatVector.fromArray(F, kt, base), k1 = FloatVector.fromArray(F, kt, base + L);
                FloatVector b0 = FloatVector.broadcast(F, x[x0 + c]);
                a00 = k0.fma(b0, a00);
                a01 = k1.fma(b0, a01);
                FloatVector b1 = FloatVector.broadcast(F, x[x1 + c]);
                a10 = k0.fma(b1, a10);
                a11 = k1.fma(b1, a11);
                FloatVector b2 = FloatVector.broadcast(F, x[x2 + c]);
                a20 = k0.fma(b2, a20);
                a21 = k1.fma(b2, a21);
                FloatVector b3 = FloatVector.broadcast(F, x[x3 + c]);
                a30 = k0.fma(b3, a30);
                a31 = k1.fma(b3, a31);
            }
            a00.intoArray(dst, d0 + j);
            a01.intoArray(dst, d0 + j + L);
            a10.intoArray(dst, d1 + j);
            a11.intoArray(dst, d1 + j + L);
            a20.intoArray(dst, d2 + j);
            a21.intoArray(dst, d2 + j + L);
            a30.intoArray(dst, d3 + j);
            a31.intoArray(dst, d3 + j + L);
        }
        for (; j < n; j += L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0, base = j; c < Dh; c++, base += padded) {
                FloatVector k0 = FloatVector.fromArray(F, kt, base);
                a0 = k0.fma(FloatVector.broadcast(F, x[x0 + c]), a0);
                a1 = k0.fma(FloatVector.broadcast(F, x[x1 + c]), a1);
                a2 = k0.fma(FloatVector.broadcast(F, x[x2 + c]), a2);
                a3 = k0.fma(FloatVector.broadcast(F, x[x3 + c]), a3);
            }
            a0.intoArray(dst, d0 + j);
            a1.intoArray(dst, d1 + j);
            a2.intoArray(dst, d2 + j);
            a3.intoArray(dst, d3 + j);
        }
    }

    /** Scales logits x[row, row + n), sets the rest of the last vector to -inf; returns the max. */
    private static float scaleMask(float[] x, int row, int n, float scale) {
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector negInf = max;
        for (int j = 0; j < n; j += L) {
            FloatVector s = FloatVector.fromArray(F, x, row + j).mul(scale);
            if (j + L > n) s = negInf.blend(s, F.indexInRange(j, n));
            s.intoArray(x, row + j);
            max = max.max(s);
        }
        return max.reduceLanes(VectorOperators.MAX); // exact in any order
    }

    /** x = exp(x - shift) over x[row, row + n) (n a multiple of L); returns the sum in a fixed order. */
    private static float expShift(float[] x, int row, int n, float shift, float[] lanes) {
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            FloatVector e = FloatVector.fromArray(F, x, row + j).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(x, row + j);
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
     * For R = 4 destination rows: dst[dstRows[r] + c] += sum_i w[wOff[r] + i * wStride] *
     * src[srcRows[i] + c], for c < Dh and i < n. Vectorised over c; each loaded source vector
     * serves four rows, and rows are taken in blocks that stay in L1 across the c loop. Each
     * destination sums over i in order from its old value, whatever the blocking.
     *
     * <p>A caller with fewer than four rows repeats its last row (same weights, same destination):
     * both copies load the same value, add the same terms and store the same result.
     */
    static void rowSums4(float[] w, int[] wOff, int wStride, int n, float[] src, int[] srcRows,
                         float[] dst, int[] dstRows, int Dh) {
        int bound = F.loopBound(Dh);
        int w0 = wOff[0], w1 = wOff[1], w2 = wOff[2], w3 = wOff[3];
        int d0 = dstRows[0], d1 = dstRows[1], d2 = dstRows[2], d3 = dstRows[3];
        for (int i0 = 0; i0 < n; i0 += ROW_BLOCK) {
            int i1 = Math.min(n, i0 + ROW_BLOCK);
            for (int c = 0; c < bound; c += L) {
                FloatVector a0 = FloatVector.fromArray(F, dst, d0 + c), a1 = FloatVector.fromArray(F, dst, d1 + c);
                FloatVector a2 = FloatVector.fromArray(F, dst, d2 + c), a3 = FloatVector.fromArray(F, dst, d3 + c);
                for (int i = i0, wi = i0 * wStride; i < i1; i++, wi += wStride) {
                    FloatVector s = FloatVector.fromArray(F, src, srcRows[i] + c);
                    a0 = s.fma(FloatVector.broadcast(F, w[w0 + wi]), a0);
                    a1 = s.fma(FloatVector.broadcast(F, w[w1 + wi]), a1);
                    a2 = s.fma(FloatVector.broadcast(F, w[w2 + wi]), a2);
                    a3 = s.fma(FloatVector.broadcast(F, w[w3 + wi]), a3);
                }
                a0.intoArray(dst, d0 + c);
                a1.intoArray(dst, d1 + c);
                a2.intoArray(dst, d2 + c);
                a3.intoArray(dst, d3 + c);
            }
            for (int c = bound; c < Dh; c++) {
                float a0 = dst[d0 + c], a1 = dst[d1 + c], a2 = dst[d2 + c], a3 = dst[d3 + c];
                for (int i = i0, wi = i0 * wStride; i < i1; i++, wi += wStride) {
                    float s = src[srcRows[i] + c];
                    a0 = Math.fma(w[w0 + wi], s, a0);
                    a1 = Math.fma(w[w1 + wi], s, a1);
                    a2 = Math.fma(w[w2 + wi], s, a2);
                    a3 = Math.fma(w[w3 + wi], s, a3);
                }
                dst[d0 + c] = a0;
                dst[d1 + c] = a1;
                dst[d2 + c] = a2;
                dst[d3 + c] = a3;
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
