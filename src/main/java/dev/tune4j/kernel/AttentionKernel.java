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
 * <p>How the inner loops are vectorised. None needs a horizontal reduction, which matters for
 * Dh = 32 (two vectors per dot product, where a reduction costs more than the FMAs), and all are
 * bitwise reproducible: the Vector API leaves the order of a reduceLanes(ADD) unspecified, so it
 * may differ between interpreted and compiled code; for the same reason exp is {@link VMath#exp}.
 * <ul>
 *   <li>Forward: per tile of {@link #MR} query rows of one head, q·kᵀ and P·V are small matrix
 *       products done by one register-tiled micro-kernel ({@link #tile}, MR rows × two vectors,
 *       as Gemm's), against the head's keys gathered transposed (Dh rows of keys) and its values
 *       gathered row by row, once per chunk for all heads of a batch row that fit in L2.</li>
 *   <li>Backward, over four rows at a time: q·k and dO·v for a row and all keys ({@link #dots4},
 *       against keys and values gathered transposed) and weighted sums of rows (dS·K, Pᵀ·dO, dSᵀ·Q;
 *       {@link #rowSums4}), vectorised over Dh, blocked over rows.</li>
 * </ul>
 *
 * <p>Threads: the forward splits tiles of MR query rows at fixed positions (B·Hq·⌈T/MR⌉), the
 * backward splits (batch, kv head) pairs, so every output element is written by one chunk, always
 * with the same operations in the same order, and results do not depend on the thread count.
 */
public final class AttentionKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows per block of a weighted row sum (backward): a block of 64 rows of V fits in L1 for Dh <= 128. */
    private static final int ROW_BLOCK = 64;
    /** Rows handled together by the backward's register-tiled kernels (dots4, rowSums4). */
    private static final int R = 4;
    /** Query rows per forward tile: 12 where there are 32 vector registers, else 6 (see {@link #tile}). */
    static final int MR = F.vectorBitSize() >= 512 || "aarch64".equals(System.getProperty("os.arch")) ? 12 : 6;
    /** Columns per forward tile: two vectors. */
    private static final int NB = 2 * L;
    /** Bytes of keys and values the forward gathers at once: a batch row's heads while they fit in L2. */
    private static final long GATHER_BYTES = 1 << 19;
    /** Query rows whose probabilities the backward holds at once (a multiple of R). */
    private static final int Q_TILE = 32;

    private AttentionKernel() {}

    /**
     * The forward's gathered keys and values and its tile buffers, per thread, grown on demand and
     * reused across calls and chunks. Stale values past what a call writes are never read into a
     * result: keys past the valid ones are masked, and columns past Dh are not written out.
     */
    private static final class Scratch {
        float[] kt = new float[0], vg = new float[0], logits = new float[0], acc = new float[0];

        float[] kt(int n) { return kt.length >= n ? kt : (kt = new float[n]); }
        float[] vg(int n) { return vg.length >= n ? vg : (vg = new float[n]); }
        float[] logits(int n) { return logits.length >= n ? logits : (logits = new float[n]); }
        float[] acc(int n) { return acc.length >= n ? acc : (acc = new float[n]); }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

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
     *
     * <p>One tile of {@link #MR} query rows of one head at a time: logits = q·kᵀ into a
     * [MR][keys] buffer ({@link #tile} over blocks of 2L keys, k = Dh), softmax in place, then
     * P·V into an [MR][Dh] buffer ({@link #tile} over blocks of 2L columns, k = keys), scaled by
     * 1/sum on the way out. The keys (transposed) and values of the head are gathered once per
     * chunk and head, and stay in L1/L2 for all its tiles.
     */
    public static void forward(Dims d, float[] q, float[] k, float[] v, AttentionMask mask, float scale,
                               float[] out, float[] lse) {
        mask.checkShape("AttentionKernel", d.batch(), d.keys());
        AttentionMask.ValidKeys valid = mask.validKeys(d.batch(), d.keys());
        int T = d.queries(), S = d.keys(), Hq = d.queryHeads(), Dh = d.headDim();
        int tilesPerHead = (T + MR - 1) / MR, tiles = d.batch() * Hq * tilesPerHead;
        long tileWork = 4L * MR * S * Dh;
        int minChunk = (int) Math.max(1, Math.min(tiles, (1 << 16) / Math.max(1, tileWork)));
        int keyCols = roundUp(S, NB), dhCols = roundUp(Dh, NB), ktLd = keyCols + L;
        // kv heads gathered together: as many as fit in GATHER_BYTES (all of them for short sequences)
        int ktHead = Dh * ktLd, vgHead = ktLd * dhCols;
        int gatherHeads = (int) Math.max(1, Math.min(d.kvHeads(), GATHER_BYTES / (4L * (ktHead + vgHead))));
        Parallel.forRange(tiles, minChunk, (u0, u1) -> {
            Scratch w = SCRATCH.get();
            float[] kt = w.kt(gatherHeads * ktHead), vg = w.vg(gatherHeads * vgHead);
            float[] logits = w.logits(MR * keyCols), acc = w.acc(MR * dhCols);
            float[] invSum = new float[MR], rowLse = new float[MR], lanes = new float[L];
            int[] qRows = new int[MR], pRows = new int[MR], visible = new int[MR], first = new int[MR];
            for (int r = 0; r < MR; r++) pRows[r] = r * keyCols;
            int gatheredFor = -1;
            for (int u = u0; u < u1; u++) {
                int bh = u / tilesPerHead, t0 = (u % tilesPerHead) * MR;
                int b = bh / Hq, h = bh % Hq, hk = h / d.group();
                int real = Math.min(MR, T - t0), nMax = 0;
                for (int r = 0; r < MR; r++) {
                    int i = Math.min(r, real - 1); // rows past T repeat the last one and are not written back
                    qRows[r] = d.queryOffset(b, t0 + i, h);
                    visible[r] = valid.visible(mask, b, t0 + i, T, S);
                    first[r] = valid.hidden(mask, b, t0 + i, T, S);
                    if (first[r] >= visible[r]) visible[r] = first[r] = 0; // its own segment holds no valid key
                    nMax = Math.max(nMax, visible[r]);
                }
                if (nMax == 0) {
                    for (int r = 0; r < real; r++) {
                        java.util.Arrays.fill(out, qRows[r], qRows[r] + Dh, 0f);
                        if (lse != null) lse[bh * T + t0 + r] = Float.NEGATIVE_INFINITY;
                    }
                    continue;
                }
                int block = hk / gatherHeads, hk0 = block * gatherHeads;
                if (b * d.kvHeads() + block != gatheredFor) {
                    gatherKeysAndValues(d, b, hk0, Math.min(d.kvHeads(), hk0 + gatherHeads), valid.index()[b], k, v, kt, ktLd, vg, dhCols);
                    gatheredFor = b * d.kvHeads() + block;
                }
                int ktOff = (hk - hk0) * ktHead, vgOff = (hk - hk0) * vgHead;
                for (int j = 0; j < nMax; j += NB) tile(q, qRows, Dh, kt, ktOff + j, ktLd, logits, j, keyCols);
                for (int r = 0; r < MR; r++) {
                    int n = visible[r], row = r * keyCols;
                    if (n == 0) {
                        java.util.Arrays.fill(logits, row, row + nMax, 0f);
                        invSum[r] = 0f;
                        rowLse[r] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    // keys of earlier packed examples: computed with the tile, then given no weight
                    java.util.Arrays.fill(logits, row, row + first[r], Float.NEGATIVE_INFINITY);
                    float max = maxOf(logits, row, n);
                    float sum = expScaled(logits, row, n, scale, -scale * max, lanes);
                    java.util.Arrays.fill(logits, row, row + first[r], 0f);
                    if (roundUp(n, L) < nMax) java.util.Arrays.fill(logits, row + roundUp(n, L), row + nMax, 0f);
                    invSum[r] = 1f / sum;
                    if (lse != null) rowLse[r] = scale * max + (float) Math.log(sum);
                }
                for (int c = 0; c < Dh; c += NB) tile(logits, pRows, nMax, vg, vgOff + c, dhCols, acc, c, dhCols);
                for (int r = 0; r < real; r++) {
                    scaleInto(acc, r * dhCols, invSum[r], out, qRows[r], Dh);
                    if (lse != null) lse[bh * T + t0 + r] = rowLse[r];
                }
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
            int[] keyRows = new int[S], tileRows = new int[Q_TILE], visible = new int[Q_TILE], first = new int[Q_TILE];
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
                            first[i] = valid.hidden(mask, b, t0 + i, T, S);
                            if (first[i] >= visible[i]) visible[i] = first[i] = 0;
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
                                    java.util.Arrays.fill(p, row, row + first[i], 0f);
                                    java.util.Arrays.fill(ds, row, row + first[i], 0f);
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
     * For the forward: the valid keys (positions index) of kv heads [hk0, hk1) of batch row b:
     * keys transposed into kt [head][Dh][ktLd] (zero past the last key), values into
     * vg [head][keys][dhCols]. Position by position, so that k and v
     * are read in runs of (hk1 - hk0)·Dh floats; ktLd is padded off a multiple of a cache line
     * count that would map the rows being written to a few L1 sets.
     */
    private static void gatherKeysAndValues(Dims d, int b, int hk0, int hk1, int[] index, float[] k, float[] v,
                                            float[] kt, int ktLd, float[] vg, int dhCols) {
        int n = index.length, Dh = d.headDim(), ktHead = Dh * ktLd, vgHead = ktLd * dhCols;
        for (int j = 0; j < n; j++) {
            for (int hk = hk0; hk < hk1; hk++) {
                int o = d.keyOffset(b, index[j], hk), kto = (hk - hk0) * ktHead + j, vgo = (hk - hk0) * vgHead + j * dhCols;
                for (int c = 0; c < Dh; c++) kt[kto + c * ktLd] = k[o + c];
                // a vector copy: System.arraycopy's stub costs several times more for rows this short
                for (int c = 0; c < Dh; c += L) {
                    var m = F.indexInRange(c, Dh);
                    FloatVector.fromArray(F, v, o + c, m).intoArray(vg, vgo + c, m);
                }
            }
        }
        for (int h = 0; h < hk1 - hk0; h++) {
            for (int c = 0; c < Dh; c++) java.util.Arrays.fill(kt, h * ktHead + c * ktLd + n, h * ktHead + (c + 1) * ktLd, 0f);
        }
    }

    /**
     * The register-tiled micro-kernel of the forward, an MR×2L tile of a small matrix product:
     * {@code c[cOff + r*ldc + j] = sum_{kk<k} a[aRows[r] + kk] * b[bOff + kk*ldb + j]} for r < MR,
     * j < 2L. Per step of k: two vector loads of b and MR broadcasts of a feed 2·MR FMAs, with the
     * whole tile in registers (24 of 32 on AVX-512, 12 of 16 on AVX2, as in {@link Gemm}). Each
     * element sums over kk in order, so it does not depend on the tiling. Written out in full for
     * the same reason as Gemm's kernel: a helper left out of line would box its vectors.
     */
    static void tile(float[] a, int[] aRows, int k, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int a0 = aRows[0], a1 = aRows[1], a2 = aRows[2], a3 = aRows[3], a4 = aRows[4], a5 = aRows[5];
        int a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0, a11 = 0;
        if (MR > 6) {
            a6 = aRows[6]; a7 = aRows[7]; a8 = aRows[8]; a9 = aRows[9]; a10 = aRows[10]; a11 = aRows[11];
        }
        FloatVector z = FloatVector.zero(F);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z, c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z;
        FloatVector c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z, c8_0 = z, c8_1 = z;
        FloatVector c9_0 = z, c9_1 = z, c10_0 = z, c10_1 = z, c11_0 = z, c11_1 = z;
        for (int kk = 0, bo = bOff; kk < k; kk++, bo += ldb) {
            FloatVector b0 = FloatVector.fromArray(F, b, bo), b1 = FloatVector.fromArray(F, b, bo + L);
            FloatVector x;
            x = FloatVector.broadcast(F, a[a0 + kk]); c0_0 = b0.fma(x, c0_0); c0_1 = b1.fma(x, c0_1);
            x = FloatVector.broadcast(F, a[a1 + kk]); c1_0 = b0.fma(x, c1_0); c1_1 = b1.fma(x, c1_1);
            x = FloatVector.broadcast(F, a[a2 + kk]); c2_0 = b0.fma(x, c2_0); c2_1 = b1.fma(x, c2_1);
            x = FloatVector.broadcast(F, a[a3 + kk]); c3_0 = b0.fma(x, c3_0); c3_1 = b1.fma(x, c3_1);
            x = FloatVector.broadcast(F, a[a4 + kk]); c4_0 = b0.fma(x, c4_0); c4_1 = b1.fma(x, c4_1);
            x = FloatVector.broadcast(F, a[a5 + kk]); c5_0 = b0.fma(x, c5_0); c5_1 = b1.fma(x, c5_1);
            if (MR > 6) {
                x = FloatVector.broadcast(F, a[a6 + kk]); c6_0 = b0.fma(x, c6_0); c6_1 = b1.fma(x, c6_1);
                x = FloatVector.broadcast(F, a[a7 + kk]); c7_0 = b0.fma(x, c7_0); c7_1 = b1.fma(x, c7_1);
                x = FloatVector.broadcast(F, a[a8 + kk]); c8_0 = b0.fma(x, c8_0); c8_1 = b1.fma(x, c8_1);
                x = FloatVector.broadcast(F, a[a9 + kk]); c9_0 = b0.fma(x, c9_0); c9_1 = b1.fma(x, c9_1);
                x = FloatVector.broadcast(F, a[a10 + kk]); c10_0 = b0.fma(x, c10_0); c10_1 = b1.fma(x, c10_1);
                x = FloatVector.broadcast(F, a[a11 + kk]); c11_0 = b0.fma(x, c11_0); c11_1 = b1.fma(x, c11_1);
            }
        }
        c0_0.intoArray(c, cOff); c0_1.intoArray(c, cOff + L); cOff += ldc;
        c1_0.intoArray(c, cOff); c1_1.intoArray(c, cOff + L); cOff += ldc;
        c2_0.intoArray(c, cOff); c2_1.intoArray(c, cOff + L); cOff += ldc;
        c3_0.intoArray(c, cOff); c3_1.intoArray(c, cOff + L); cOff += ldc;
        c4_0.intoArray(c, cOff); c4_1.intoArray(c, cOff + L); cOff += ldc;
        c5_0.intoArray(c, cOff); c5_1.intoArray(c, cOff + L);
        if (MR > 6) {
            cOff += ldc;
            c6_0.intoArray(c, cOff); c6_1.intoArray(c, cOff + L); cOff += ldc;
            c7_0.intoArray(c, cOff); c7_1.intoArray(c, cOff + L); cOff += ldc;
            c8_0.intoArray(c, cOff); c8_1.intoArray(c, cOff + L); cOff += ldc;
            c9_0.intoArray(c, cOff); c9_1.intoArray(c, cOff + L); cOff += ldc;
            c10_0.intoArray(c, cOff); c10_1.intoArray(c, cOff + L); cOff += ldc;
            c11_0.intoArray(c, cOff); c11_1.intoArray(c, cOff + L);
        }
    }

    /** The max of x[row, row + n) (exact in any order). */
    private static float maxOf(float[] x, int row, int n) {
        FloatVector negInf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), max = negInf;
        for (int j = 0; j < n; j += L) {
            FloatVector v = FloatVector.fromArray(F, x, row + j);
            if (j + L > n) v = negInf.blend(v, F.indexInRange(j, n));
            max = max.max(v);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /**
     * x = exp(x * scale + shift) over x[row, row + n), zero in the rest of the last vector;
     * returns the sum, taken lane by lane and then over the lanes in a fixed order.
     */
    private static float expScaled(float[] x, int row, int n, float scale, float shift, float[] lanes) {
        FloatVector zero = FloatVector.zero(F), sum = zero, sc = FloatVector.broadcast(F, scale), sh = FloatVector.broadcast(F, shift);
        for (int j = 0; j < n; j += L) {
            FloatVector e = VMath.exp(FloatVector.fromArray(F, x, row + j).fma(sc, sh));
            if (j + L > n) e = zero.blend(e, F.indexInRange(j, n));
            e.intoArray(x, row + j);
            sum = sum.add(e);
        }
        sum.intoArray(lanes, 0);
        float s = 0f;
        for (float lane : lanes) s += lane;
        return s;
    }

    /** dst[dstOff + c] = src[srcOff + c] * s for c < n. */
    private static void scaleInto(float[] src, int srcOff, float s, float[] dst, int dstOff, int n) {
        for (int c = 0; c < n; c += L) {
            var m = F.indexInRange(c, n);
            FloatVector.fromArray(F, src, srcOff + c, m).mul(s).intoArray(dst, dstOff + c, m);
        }
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

    /**
     * Turns raw logits p[row..] into probabilities exp(l * scale - lse) and raw dP = dO·v in
     * ds[row..] into dS = P * (dP - rowsum(dO * O)) * scale, for the first n keys; the rest of the
     * last vector is set to zero.
     */
    private static void probabilitiesAndLogitGrads(float[] p, float[] ds, int row, int n, float scale,
                                                   float lse, float outDotGrad) {
        FloatVector zero = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            FloatVector pj = VMath.exp(FloatVector.fromArray(F, p, row + j).mul(scale).sub(lse));
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
        return roundUp(n, L);
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }
}
