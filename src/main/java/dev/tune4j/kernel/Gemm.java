package dev.tune4j.kernel;

import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Storage;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Single-precision matrix multiply for every layout the engine needs:
 * {@code C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n] (+ bias[n] per column)},
 * where {@code op(X)} is X or Xᵀ. All matrices are row-major with leading dimensions and offsets.
 *
 * <p>The scheme is Goto/BLIS. For each block of {@link #NC} columns and {@link #KC} steps of K,
 * B is packed into panels of {@link #NR} columns (zero-padded at the edge), which together stay
 * in L2. Then each panel of {@link #MR} rows of A is packed (it stays in L1) and swept across the
 * B panels by a register-blocked micro-kernel that keeps the whole MR×NR tile of C in vector
 * registers: MR broadcasts of A and two vector loads of B feed 2·MR fused multiply-adds per K step.
 * With 32 vector registers (AVX-512, SVE, NEON) MR is 12: 24 accumulators, two B vectors and one
 * broadcast, without spilling; with 16 (AVX2) MR is 6. Streaming B from L2 costs two vector loads
 * per 2·MR FMAs, which is why the tile is tall (MR rows) rather than wide. C2 folds the MR test
 * in the kernel, so this is one kernel for both.
 *
 * <p>B may be a segment-backed tensor (F32/F16/BF16, memory-mapped weights): packing reads it with
 * {@link Storage#read}, upcasting one panel at a time, so frozen weights are never copied whole.
 *
 * <p>Threads: with enough rows, the whole product is one ordered list of packing and sweep units
 * that the pool's threads take as they become free, in a single fork-join (see {@link Schedule});
 * with few rows, the columns are split and each thread packs its own panels. The block sizes can
 * be overridden for experiments with the system properties tune4j.gemm.kc / .nc / .mc.
 *
 * <p>Determinism: each C tile is written by one thread and accumulated in a fixed order (K steps
 * within a KC block in registers, then the blocks added into C in order), with block boundaries
 * independent of the thread count: the result is bitwise identical for any thread count.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Up to this many rows of A times a [n, k] weight take the dot-product path ({@link #fewRows}). */
    static final int FEW_ROWS = 4;
    /** Up to this many columns of C take the narrow path ({@link #narrow}): a LoRA rank, a few labels. */
    static final int NARROW = 16;
    /** Rows of the micro-tile: 12 where there are 32 vector registers, else 6 (see the class comment). */
    static final int MR = S.vectorBitSize() >= 512 || "aarch64".equals(System.getProperty("os.arch")) ? 12 : 6;
    /** Columns of the micro-tile: two vectors. */
    static final int NR = 2 * L;
    /** K block: the A panel (MR×KC, 12 KiB) stays in L1. */
    static final int KC = Math.max(1, Integer.getInteger("tune4j.gemm.kc", 256));
    /** Column block: the packed B block (KC×NC, 1 MiB) stays in L2. */
    static final int NC = roundUp(Math.max(1, Integer.getInteger("tune4j.gemm.nc", 1024)), NR);
    /** Row block: bounds the packed A (MC×KC) of one call. */
    static final int MC = roundUp(Math.max(1, Integer.getInteger("tune4j.gemm.mc", 4096)), MR);
    /** The MR lanes a packed A step occupies. */
    private static final VectorMask<Float> PANEL_ROWS = S.indexInRange(0, Math.min(MR, L));
    /** Below this much work a call runs on the calling thread: a fork-join costs microseconds. */
    private static final long MIN_PARALLEL_FLOPS = 1L << 21;

    private Gemm() {}

    /** Packing buffers of one thread, grown on demand and reused across calls. */
    private static final class Workspace {
        final float[][] a = {new float[0], new float[0]};
        final float[][] b = {new float[0], new float[0]};
        float[] rows = new float[0];
        final float[] tile = new float[MR * NR];

        float[] a(int i, int size) { return a[i].length >= size ? a[i] : (a[i] = new float[size]); }
        float[] b(int i, int size) { return b[i].length >= size ? b[i] : (b[i] = new float[size]); }
        float[] rows(int size) { return rows.length >= size ? rows : (rows = new float[size]); }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /**
     * The operands and options of one call, shared by the threads working on it. {@code second},
     * when not null, is a further product of the same C whose K steps follow this one's: the K
     * blocks of C = A·B + A2·B2 run as one list, so the second product costs no pass over C.
     */
    private record Call(int m, int n, int k,
                        float[] a, int aOff, int lda, boolean transA,
                        Storage b, long bOff, int ldb, boolean transB,
                        float[] c, int cOff, int ldc,
                        float[] bias, int biasOff, boolean accumulate, Call second) {
        /** K steps of both products. */
        int kAll() { return second == null ? k : k + second.k; }

        /** K blocks: this product's, then the second's (none straddles the two). */
        int kBlocks() { return ceilDiv(k, KC) + (second == null ? 0 : ceilDiv(second.k, KC)); }

        /** The first K step (over both products) of K block p. */
        int kStart(int p) {
            int own = ceilDiv(k, KC);
            return p < own ? p * KC : k + (p - own) * KC;
        }

        /** The K steps of block p. */
        int kSize(int p) {
            int own = ceilDiv(k, KC);
            return p < own ? Math.min(KC, k - p * KC) : Math.min(KC, second.k - (p - own) * KC);
        }
    }

    /** Heap-B form of {@link #gemm(int, int, int, float[], int, int, boolean, Storage, long, int, boolean, float[], int, int, float[], int, boolean)}. */
    public static void gemm(int m, int n, int k,
                            float[] a, int aOff, int lda, boolean transA,
                            float[] b, int bOff, int ldb, boolean transB,
                            float[] c, int cOff, int ldc,
                            float[] bias, int biasOff, boolean accumulate) {
        gemm(m, n, k, a, aOff, lda, transA, new Storage.Heap(b), bOff, ldb, transB, c, cOff, ldc, bias, biasOff, accumulate);
    }

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B) (+ bias)}.
     *
     * @param a    op(A) is m×k: A is stored [m, k] with row stride lda, or [k, m] when transA
     * @param b    op(B) is k×n: B is stored [k, n] with row stride ldb, or [n, k] when transB;
     *             heap or segment-backed (F32/F16/BF16, upcast while packing)
     * @param c    C is stored [m, n] with row stride ldc
     * @param bias nullable; bias[biasOff + j] is added to column j of C
     */
    public static void gemm(int m, int n, int k,
                            float[] a, int aOff, int lda, boolean transA,
                            Storage b, long bOff, int ldb, boolean transB,
                            float[] c, int cOff, int ldc,
                            float[] bias, int biasOff, boolean accumulate) {
        checkArgs(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, bias, biasOff);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                int row = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    float v = accumulate ? c[row + j] : 0f;
                    c[row + j] = bias == null ? v : v + bias[biasOff + j];
                }
            }
            return;
        }
        if (m <= FEW_ROWS && !transA && transB) {
            fewRows(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, bias, biasOff, accumulate);
            return;
        }
        Call call = new Call(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, bias, biasOff, accumulate, null);
        if (n <= NARROW && m > FEW_ROWS) {
            narrow(call);
            return;
        }
        blocked(call);
    }

    /**
     * {@code C = (accumulate ? C : 0) + A·op(B) + A2·op(B2) (+ bias)}, A and A2 stored [m, k] and
     * [m, k2]: the second product's K steps are more K blocks of the same sweep over C, so it adds
     * no pass over C (a LoRA adapter's z·Bᵀ inside its layer's x·Wᵀ, or dz·A inside dy·W). Where the
     * blocked path does not serve (few rows, few columns) it is two calls, the second accumulating.
     */
    public static void gemm(int m, int n, int k, float[] a, int aOff, int lda, Storage b, long bOff, int ldb, boolean transB,
                            int k2, float[] a2, int a2Off, int lda2, Storage b2, long b2Off, int ldb2, boolean transB2,
                            float[] c, int cOff, int ldc, float[] bias, int biasOff, boolean accumulate) {
        checkArgs(m, n, k2, a2, a2Off, lda2, false, b2, b2Off, ldb2, transB2, c, cOff, ldc, null, 0);
        if (m <= FEW_ROWS || n <= NARROW || k == 0 || k2 == 0) {
            gemm(m, n, k, a, aOff, lda, false, b, bOff, ldb, transB, c, cOff, ldc, bias, biasOff, accumulate);
            gemm(m, n, k2, a2, a2Off, lda2, false, b2, b2Off, ldb2, transB2, c, cOff, ldc, null, 0, true);
            return;
        }
        checkArgs(m, n, k, a, aOff, lda, false, b, bOff, ldb, transB, c, cOff, ldc, bias, biasOff);
        Call second = new Call(m, n, k2, a2, a2Off, lda2, false, b2, b2Off, ldb2, transB2, c, cOff, ldc, null, 0, true, null);
        blocked(new Call(m, n, k, a, aOff, lda, false, b, bOff, ldb, transB, c, cOff, ldc, bias, biasOff, accumulate, second));
    }

    /** The packed, register-blocked path: shared schedule with many rows, split by columns otherwise. */
    private static void blocked(Call call) {
        int m = call.m, n = call.n;
        int threads = Parallel.threads(), mPanels = ceilDiv(m, MR), nPanels = ceilDiv(n, NR);
        boolean parallel = threads > 1 && 2L * m * n * call.kAll() >= MIN_PARALLEL_FLOPS;
        if (parallel && mPanels >= 2 * threads) {
            Schedule schedule = new Schedule(call, threads);
            Parallel.forRange(threads, 1, (s, e) -> schedule.work());
        } else if (parallel && nPanels >= 2) {
            Parallel.forRange(nPanels, 1, (s, e) -> columns(call, s * NR, Math.min(n, e * NR)));
        } else {
            columns(call, 0, n);
        }
    }

    /**
     * A few rows times a weight matrix stored [n, k] (a decode step: one token per sequence): each
     * C element is one dot product of an A row with a B row, streamed straight from B as it is
     * stored (a bf16 row widened once into a float buffer). Packing B into panels, as the blocked
     * path does, would read and write every weight once more for a product that uses each once.
     * Columns are split between threads; each element is one dot in a fixed order, so the result
     * is the same for any thread count.
     */
    private static void fewRows(int m, int n, int k, float[] a, int aOff, int lda, Storage b, long bOff, int ldb,
                                float[] c, int cOff, int ldc, float[] bias, int biasOff, boolean accumulate) {
        boolean parallel = Parallel.threads() > 1 && 2L * m * n * k >= MIN_PARALLEL_FLOPS;
        Parallel.Range body = (j0, j1) -> {
            float[] heap = b instanceof Storage.Heap h ? h.array() : null;
            float[] row = heap != null ? null : new float[k];
            for (int j = j0; j < j1; j++) {
                long rowAt = bOff + (long) j * ldb;
                int rowOff = (int) rowAt;
                if (heap == null) {
                    b.read(rowAt, row, 0, k);
                    rowOff = 0;
                }
                float[] br = heap != null ? heap : row;
                for (int i = 0; i < m; i++) {
                    float v = dot(a, aOff + i * lda, br, rowOff, k);
                    int at = cOff + i * ldc + j;
                    if (accumulate) v += c[at];
                    c[at] = bias == null ? v : v + bias[biasOff + j];
                }
            }
        };
        if (parallel) Parallel.forRange(n, Math.max(16, n / (8 * Parallel.threads())), body);
        else body.run(0, n);
    }

    /**
     * A product with few columns (n <= {@link #NARROW}: a LoRA adapter's down projection or its
     * gradients, a classifier head over a few labels). The blocked path would pack the whole tall
     * A into panels, as much memory traffic as the product itself, and fill a fraction of each
     * micro-tile. Here op(B), small (k×n), is laid out once the way the loop reads it, and A is
     * streamed once:
     * <pre>
     *   A stored [m, k]:  C[i, j] = A[i, :] · op(B)[:, j]                 (dot products along a row of A)
     *   A stored [k, m]:  C[:, j] = sum over kk of op(B)[kk, j] · A[kk, :]  (axpys along rows of A into Cᵀ)
     * </pre>
     * Threads split the rows of C (the columns of Cᵀ); each element is one sum in a fixed order of
     * K, so the result is the same for any thread count.
     */
    private static void narrow(Call x) {
        int m = x.m, n = x.n, k = x.k;
        boolean parallel = Parallel.threads() > 1 && 2L * m * n * k >= MIN_PARALLEL_FLOPS;
        Parallel.Range body;
        if (!x.transA) {
            float[] bt = opB(x, true);                         // [n, k]: the columns of op(B) as rows
            body = (i0, i1) -> {
                float[] v = new float[n];
                for (int i = i0; i < i1; i++) {
                    for (int j = 0; j < n; j++) v[j] = dot(x.a, x.aOff + i * x.lda, bt, j * k, k);
                    store(x, i, v, 0, 1);
                }
            };
        } else {
            float[] bk = opB(x, false);                        // [k, n]
            body = (i0, i1) -> {
                int w = i1 - i0;
                float[] ct = new float[n * w];                 // Cᵀ[:, i0..i1)
                for (int kk = 0; kk < k; kk++) {
                    int row = x.aOff + kk * x.lda + i0;
                    for (int j = 0; j < n; j++) axpy(bk[kk * n + j], x.a, row, ct, j * w, w);
                }
                for (int i = i0; i < i1; i++) store(x, i, ct, i - i0, w);
            };
        }
        if (parallel) Parallel.forRange(m, Math.max(MR, m / (8 * Parallel.threads())), body);
        else body.run(0, m);
    }

    /** op(B) as a heap array: [n, k] when {@code columnsAsRows}, else [k, n]. */
    private static float[] opB(Call x, boolean columnsAsRows) {
        int n = x.n, k = x.k;
        int rows = x.transB ? n : k, cols = x.transB ? k : n;  // B as stored
        float[] stored = new float[rows * cols];
        for (int r = 0; r < rows; r++) x.b.read(x.bOff + (long) r * x.ldb, stored, r * cols, cols);
        if (x.transB == columnsAsRows) return stored;
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = stored[r * cols + c];
        return t;
    }

    /** C[i, j] = (accumulate ? C[i, j] : 0) + v[off + j·stride] (+ bias[j]) for j < n. */
    private static void store(Call x, int i, float[] v, int off, int stride) {
        int row = x.cOff + i * x.ldc;
        for (int j = 0; j < x.n; j++) {
            float s = v[off + j * stride];
            if (x.accumulate) s += x.c[row + j];
            x.c[row + j] = x.bias == null ? s : s + x.bias[x.biasOff + j];
        }
    }

    /** y[yOff + i] += alpha * x[xOff + i] for i < len; the tail is one masked vector fma, so it rounds as the body. */
    private static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        if (i < len) {
            VectorMask<Float> in = S.indexInRange(i, len);
            FloatVector.fromArray(S, x, xOff + i, in).fma(av, FloatVector.fromArray(S, y, yOff + i, in)).intoArray(y, yOff + i, in);
        }
    }

    /** sum x[xOff + i] * y[yOff + i] over i < k, in four vector accumulators, then their lanes, then the tail. */
    private static float dot(float[] x, int xOff, float[] y, int yOff, int k) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 * L <= k; i += 4 * L) {
            a0 = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), a0);
            a1 = FloatVector.fromArray(S, x, xOff + i + L).fma(FloatVector.fromArray(S, y, yOff + i + L), a1);
            a2 = FloatVector.fromArray(S, x, xOff + i + 2 * L).fma(FloatVector.fromArray(S, y, yOff + i + 2 * L), a2);
            a3 = FloatVector.fromArray(S, x, xOff + i + 3 * L).fma(FloatVector.fromArray(S, y, yOff + i + 3 * L), a3);
        }
        for (; i + L <= k; i += L) a0 = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), a0);
        float sum = Reduce.laneSum(a0.add(a1).add(a2.add(a3)));
        for (; i < k; i++) sum = Math.fma(x[xOff + i], y[yOff + i], sum);
        return sum;
    }

    /**
     * Many rows: the whole product as one list of work units, handed out in order to the pool's
     * threads as they become free, in a single fork-join (waking a parked worker costs tens of
     * microseconds, too much to pay twice per block).
     *
     * <p>The blocks run in the order (row block, K block, column block). Each block's units are
     * first the packing of its B panels (in groups), then one sweep per row panel; on the first
     * column block of a K block the sweep packs its A panel first (into L1, right before use),
     * and later column blocks reuse it. Packing goes to one of two buffers, so a thread can pack
     * the next block while another finishes sweeping the current one. A unit waits (spinning)
     * only for units before it in the list: the packing it reads, the sweeps that last read the
     * buffer it is about to overwrite, and the previous K block's sweep of the same C tiles.
     * Those are already claimed by running threads, so this always makes progress, and every C
     * tile still sees its K blocks one after another in order.
     */
    private static final class Schedule {
        final Call x;
        final int nP, nJ, blocks, rowPanels;
        final int[] first;                     // first unit of each block; first[blocks] = all units
        final int[] bGroups, sweeps;           // per block: B packing groups, sweeps
        final int bGrain;
        final AtomicInteger next = new AtomicInteger();
        final AtomicIntegerArray packed, swept; // per block: packing / sweep units finished
        final AtomicIntegerArray kDone;         // per (column block, row panel): K blocks swept
        final float[][] pa = new float[2][], pb = new float[2][];
        volatile boolean failed;

        Schedule(Call x, int threads) {
            this.x = x;
            int nI = ceilDiv(x.m, MC);
            nP = x.kBlocks();
            nJ = ceilDiv(x.n, NC);
            blocks = nI * nP * nJ;
            rowPanels = ceilDiv(x.m, MR);
            // A few packing groups per thread: long sequential reads, still shared out evenly.
            bGrain = Math.max(1, ceilDiv(Math.min(NC, x.n), NR) / (2 * threads));
            first = new int[blocks + 1];
            bGroups = new int[blocks];
            sweeps = new int[blocks];
            for (int blk = 0; blk < blocks; blk++) {
                int ii = blk / (nP * nJ), jj = blk % nJ;
                bGroups[blk] = ceilDiv(ceilDiv(Math.min(NC, x.n - jj * NC), NR), bGrain);
                sweeps[blk] = ceilDiv(Math.min(MC, x.m - ii * MC), MR);
                first[blk + 1] = first[blk] + bGroups[blk] + sweeps[blk];
            }
            packed = new AtomicIntegerArray(blocks);
            swept = new AtomicIntegerArray(blocks);
            kDone = new AtomicIntegerArray(nJ * rowPanels);
            Workspace ws = WORKSPACE.get();
            int kc = Math.min(KC, x.second == null ? x.k : Math.max(x.k, x.second.k));
            for (int i = 0; i < 2; i++) {
                pa[i] = ws.a(i, roundUp(Math.min(MC, x.m), MR) * kc);
                pb[i] = ws.b(i, roundUp(Math.min(NC, x.n), NR) * kc);
            }
        }

        /** One thread's part: take units in order until none are left. */
        void work() {
            int blk = 0;
            try {
                for (int u; !failed && (u = next.getAndIncrement()) < first[blocks]; ) {
                    while (u >= first[blk + 1]) blk++;
                    run(blk, u - first[blk]);
                }
            } catch (Throwable t) {
                failed = true;
                throw t;
            }
        }

        private void run(int blk, int unit) {
            int ii = blk / (nP * nJ), pp = blk / nJ % nP, jj = blk % nJ, g = blk / nJ;
            int ic = ii * MC, mc = Math.min(MC, x.m - ic), pc = x.kStart(pp), kc = x.kSize(pp);
            int jc = jj * NC, nc = Math.min(NC, x.n - jc);
            float[] a = pa[g % 2], b = pb[blk % 2];
            if (unit < bGroups[blk]) {
                // B panels: the sweeps of two blocks ago read this buffer.
                if (blk >= 2) await(swept, blk - 2, sweeps[blk - 2]);
                int p0 = unit * bGrain, p1 = Math.min(ceilDiv(nc, NR), p0 + bGrain);
                packB(x, jc + p0 * NR, Math.min(jc + nc, jc + p1 * NR), pc, kc, b, p0 * NR * kc);
                packed.incrementAndGet(blk);
            } else {
                int panel = unit - bGroups[blk], row = ic / MR + panel, r0 = ic + panel * MR;
                await(packed, blk, bGroups[blk]);
                await(kDone, jj * rowPanels + row, pp);              // these tiles' previous K block
                if (jj == 0) {
                    // This sweep packs the A panel: every sweep of two K blocks ago read the buffer.
                    for (int old = (g - 2) * nJ; g >= 2 && old < (g - 1) * nJ; old++) await(swept, old, sweeps[old]);
                } else {
                    await(kDone, row, pp + 1);                        // the sweep that packed the A panel
                }
                sweep(x, r0, Math.min(ic + mc, r0 + MR), jc, nc, pc, kc, a, panel * MR * kc, b, jj == 0);
                kDone.set(jj * rowPanels + row, pp + 1);
                swept.incrementAndGet(blk);
            }
        }

        /** Spins until counts[i] reaches target (work claimed earlier by a running thread). */
        private void await(AtomicIntegerArray counts, int i, int target) {
            for (int spins = 0; counts.get(i) < target; spins++) {
                if (failed) throw new IllegalStateException("Gemm: another thread failed");
                if ((spins & 1023) == 1023) Thread.yield(); else Thread.onSpinWait();
            }
        }
    }

    /** Columns [c0, c1) of C (all rows) on the calling thread, packing its own A and B. */
    private static void columns(Call x, int c0, int c1) {
        Workspace ws = WORKSPACE.get();
        for (int ic = 0; ic < x.m; ic += MC) {
            int mc = Math.min(MC, x.m - ic);
            for (int p = 0, blocks = x.kBlocks(); p < blocks; p++) {
                int pc = x.kStart(p), kc = x.kSize(p);
                float[] pa = ws.a(0, roundUp(mc, MR) * kc);
                for (int jc = c0; jc < c1; jc += NC) {
                    int nc = Math.min(NC, c1 - jc);
                    float[] pb = ws.b(0, roundUp(nc, NR) * kc);
                    packB(x, jc, jc + nc, pc, kc, pb, 0);
                    sweep(x, ic, ic + mc, jc, nc, pc, kc, pa, 0, pb, jc == c0);
                }
            }
        }
    }

    /**
     * Rows [r0, r1) of C, columns [jc, jc+nc), K steps [pc, pc+kc), from A panels at pa[paOff]
     * (packed here first when packA) and the B block pb: each A panel is swept across all B
     * panels while it sits in L1.
     */
    private static void sweep(Call x, int r0, int r1, int jc, int nc, int pc, int kc, float[] pa, int paOff, float[] pb,
                              boolean packA) {
        float[] tile = WORKSPACE.get().tile, c = x.c;
        boolean load = x.accumulate || pc > 0;           // later K blocks add to the partial sums in C
        for (int i = r0, aOff = paOff; i < r1; i += MR, aOff += MR * kc) {
            int mr = Math.min(MR, r1 - i);
            if (packA) packA(x, i, i + mr, pc, kc, pa, aOff);
            float[] bias = pc == 0 ? x.bias : null;      // the bias joins exactly once
            if (load && bias != null) {
                // accumulate with bias: C += bias first, so that the kernel has one thing to add.
                for (int r = 0; r < mr; r++) {
                    int row = x.cOff + (i + r) * x.ldc;
                    for (int j = jc; j < jc + nc; j++) c[row + j] += bias[x.biasOff + j];
                }
                bias = null;
            }
            for (int j = jc, bOff = 0; j < jc + nc; j += NR, bOff += NR * kc) {
                int nr = Math.min(NR, jc + nc - j), o = x.cOff + i * x.ldc + j;
                if (mr == MR && nr == NR) {
                    if (load) kernel(pa, aOff, pb, bOff, kc, c, o, x.ldc, c, o, x.ldc);
                    else kernel(pa, aOff, pb, bOff, kc, c, o, x.ldc, bias, x.biasOff + j, 0);
                } else {
                    kernel(pa, aOff, pb, bOff, kc, tile, 0, NR, null, 0, 0);
                    addTile(tile, mr, nr, c, o, x.ldc, load, bias, x.biasOff + j);
                }
            }
        }
    }

    /**
     * The micro-kernel: {@code c = acc (+ add)} for the MR×NR tile {@code acc} of op(A)·op(B) over
     * kc steps of K. Packed A gives MR values per step, packed B gives NR. {@code add}, when not
     * null, is an MR×NR tile with row stride addLd: C itself (a later K block, or accumulate) or
     * the bias with row stride 0. Written out in full: C2 treats the epilogue as cold and would
     * not inline a helper there, and a call that is not inlined boxes every vector.
     */
    private static void kernel(float[] pa, int aOff, float[] pb, int bOff, int kc,
                               float[] c, int cOff, int ldc, float[] add, int addOff, int addLd) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z;
        FloatVector c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        FloatVector c8_0 = z, c8_1 = z, c9_0 = z, c9_1 = z;
        FloatVector c10_0 = z, c10_1 = z, c11_0 = z, c11_1 = z;
        // Two K steps per iteration: C2 does not unroll a loop this large by itself, and the
        // loop overhead is then a visible share of a 12-cycle step.
        FloatVector b0, b1, x;
        int kk = 0, bo, ao;
        for (; kk + 1 < kc; kk += 2) {
            bo = bOff + kk * NR; ao = aOff + kk * MR;
            b0 = FloatVector.fromArray(S, pb, bo); b1 = FloatVector.fromArray(S, pb, bo + L);
            x = FloatVector.broadcast(S, pa[ao + 0]); c0_0 = b0.fma(x, c0_0); c0_1 = b1.fma(x, c0_1);
            x = FloatVector.broadcast(S, pa[ao + 1]); c1_0 = b0.fma(x, c1_0); c1_1 = b1.fma(x, c1_1);
            x = FloatVector.broadcast(S, pa[ao + 2]); c2_0 = b0.fma(x, c2_0); c2_1 = b1.fma(x, c2_1);
            x = FloatVector.broadcast(S, pa[ao + 3]); c3_0 = b0.fma(x, c3_0); c3_1 = b1.fma(x, c3_1);
            x = FloatVector.broadcast(S, pa[ao + 4]); c4_0 = b0.fma(x, c4_0); c4_1 = b1.fma(x, c4_1);
            x = FloatVector.broadcast(S, pa[ao + 5]); c5_0 = b0.fma(x, c5_0); c5_1 = b1.fma(x, c5_1);
            if (MR > 6) {
                x = FloatVector.broadcast(S, pa[ao + 6]); c6_0 = b0.fma(x, c6_0); c6_1 = b1.fma(x, c6_1);
                x = FloatVector.broadcast(S, pa[ao + 7]); c7_0 = b0.fma(x, c7_0); c7_1 = b1.fma(x, c7_1);
                x = FloatVector.broadcast(S, pa[ao + 8]); c8_0 = b0.fma(x, c8_0); c8_1 = b1.fma(x, c8_1);
                x = FloatVector.broadcast(S, pa[ao + 9]); c9_0 = b0.fma(x, c9_0); c9_1 = b1.fma(x, c9_1);
                x = FloatVector.broadcast(S, pa[ao + 10]); c10_0 = b0.fma(x, c10_0); c10_1 = b1.fma(x, c10_1);
                x = FloatVector.broadcast(S, pa[ao + 11]); c11_0 = b0.fma(x, c11_0); c11_1 = b1.fma(x, c11_1);
            }
            bo = bOff + (kk + 1) * NR; ao = aOff + (kk + 1) * MR;
            b0 = FloatVector.fromArray(S, pb, bo); b1 = FloatVector.fromArray(S, pb, bo + L);
            x = FloatVector.broadcast(S, pa[ao + 0]); c0_0 = b0.fma(x, c0_0); c0_1 = b1.fma(x, c0_1);
            x = FloatVector.broadcast(S, pa[ao + 1]); c1_0 = b0.fma(x, c1_0); c1_1 = b1.fma(x, c1_1);
            x = FloatVector.broadcast(S, pa[ao + 2]); c2_0 = b0.fma(x, c2_0); c2_1 = b1.fma(x, c2_1);
            x = FloatVector.broadcast(S, pa[ao + 3]); c3_0 = b0.fma(x, c3_0); c3_1 = b1.fma(x, c3_1);
            x = FloatVector.broadcast(S, pa[ao + 4]); c4_0 = b0.fma(x, c4_0); c4_1 = b1.fma(x, c4_1);
            x = FloatVector.broadcast(S, pa[ao + 5]); c5_0 = b0.fma(x, c5_0); c5_1 = b1.fma(x, c5_1);
            if (MR > 6) {
                x = FloatVector.broadcast(S, pa[ao + 6]); c6_0 = b0.fma(x, c6_0); c6_1 = b1.fma(x, c6_1);
                x = FloatVector.broadcast(S, pa[ao + 7]); c7_0 = b0.fma(x, c7_0); c7_1 = b1.fma(x, c7_1);
                x = FloatVector.broadcast(S, pa[ao + 8]); c8_0 = b0.fma(x, c8_0); c8_1 = b1.fma(x, c8_1);
                x = FloatVector.broadcast(S, pa[ao + 9]); c9_0 = b0.fma(x, c9_0); c9_1 = b1.fma(x, c9_1);
                x = FloatVector.broadcast(S, pa[ao + 10]); c10_0 = b0.fma(x, c10_0); c10_1 = b1.fma(x, c10_1);
                x = FloatVector.broadcast(S, pa[ao + 11]); c11_0 = b0.fma(x, c11_0); c11_1 = b1.fma(x, c11_1);
            }
        }
        if (kk < kc) {
            bo = bOff + kk * NR; ao = aOff + kk * MR;
            b0 = FloatVector.fromArray(S, pb, bo); b1 = FloatVector.fromArray(S, pb, bo + L);
            x = FloatVector.broadcast(S, pa[ao + 0]); c0_0 = b0.fma(x, c0_0); c0_1 = b1.fma(x, c0_1);
            x = FloatVector.broadcast(S, pa[ao + 1]); c1_0 = b0.fma(x, c1_0); c1_1 = b1.fma(x, c1_1);
            x = FloatVector.broadcast(S, pa[ao + 2]); c2_0 = b0.fma(x, c2_0); c2_1 = b1.fma(x, c2_1);
            x = FloatVector.broadcast(S, pa[ao + 3]); c3_0 = b0.fma(x, c3_0); c3_1 = b1.fma(x, c3_1);
            x = FloatVector.broadcast(S, pa[ao + 4]); c4_0 = b0.fma(x, c4_0); c4_1 = b1.fma(x, c4_1);
            x = FloatVector.broadcast(S, pa[ao + 5]); c5_0 = b0.fma(x, c5_0); c5_1 = b1.fma(x, c5_1);
            if (MR > 6) {
                x = FloatVector.broadcast(S, pa[ao + 6]); c6_0 = b0.fma(x, c6_0); c6_1 = b1.fma(x, c6_1);
                x = FloatVector.broadcast(S, pa[ao + 7]); c7_0 = b0.fma(x, c7_0); c7_1 = b1.fma(x, c7_1);
                x = FloatVector.broadcast(S, pa[ao + 8]); c8_0 = b0.fma(x, c8_0); c8_1 = b1.fma(x, c8_1);
                x = FloatVector.broadcast(S, pa[ao + 9]); c9_0 = b0.fma(x, c9_0); c9_1 = b1.fma(x, c9_1);
                x = FloatVector.broadcast(S, pa[ao + 10]); c10_0 = b0.fma(x, c10_0); c10_1 = b1.fma(x, c10_1);
                x = FloatVector.broadcast(S, pa[ao + 11]); c11_0 = b0.fma(x, c11_0); c11_1 = b1.fma(x, c11_1);
            }
        }
        if (add != null) {
            c0_0 = c0_0.add(FloatVector.fromArray(S, add, addOff + 0 * addLd)); c0_1 = c0_1.add(FloatVector.fromArray(S, add, addOff + 0 * addLd + L));
            c1_0 = c1_0.add(FloatVector.fromArray(S, add, addOff + 1 * addLd)); c1_1 = c1_1.add(FloatVector.fromArray(S, add, addOff + 1 * addLd + L));
            c2_0 = c2_0.add(FloatVector.fromArray(S, add, addOff + 2 * addLd)); c2_1 = c2_1.add(FloatVector.fromArray(S, add, addOff + 2 * addLd + L));
            c3_0 = c3_0.add(FloatVector.fromArray(S, add, addOff + 3 * addLd)); c3_1 = c3_1.add(FloatVector.fromArray(S, add, addOff + 3 * addLd + L));
            c4_0 = c4_0.add(FloatVector.fromArray(S, add, addOff + 4 * addLd)); c4_1 = c4_1.add(FloatVector.fromArray(S, add, addOff + 4 * addLd + L));
            c5_0 = c5_0.add(FloatVector.fromArray(S, add, addOff + 5 * addLd)); c5_1 = c5_1.add(FloatVector.fromArray(S, add, addOff + 5 * addLd + L));
            if (MR > 6) {
                c6_0 = c6_0.add(FloatVector.fromArray(S, add, addOff + 6 * addLd)); c6_1 = c6_1.add(FloatVector.fromArray(S, add, addOff + 6 * addLd + L));
                c7_0 = c7_0.add(FloatVector.fromArray(S, add, addOff + 7 * addLd)); c7_1 = c7_1.add(FloatVector.fromArray(S, add, addOff + 7 * addLd + L));
                c8_0 = c8_0.add(FloatVector.fromArray(S, add, addOff + 8 * addLd)); c8_1 = c8_1.add(FloatVector.fromArray(S, add, addOff + 8 * addLd + L));
                c9_0 = c9_0.add(FloatVector.fromArray(S, add, addOff + 9 * addLd)); c9_1 = c9_1.add(FloatVector.fromArray(S, add, addOff + 9 * addLd + L));
                c10_0 = c10_0.add(FloatVector.fromArray(S, add, addOff + 10 * addLd)); c10_1 = c10_1.add(FloatVector.fromArray(S, add, addOff + 10 * addLd + L));
                c11_0 = c11_0.add(FloatVector.fromArray(S, add, addOff + 11 * addLd)); c11_1 = c11_1.add(FloatVector.fromArray(S, add, addOff + 11 * addLd + L));
            }
        }
        c0_0.intoArray(c, cOff + 0 * ldc); c0_1.intoArray(c, cOff + 0 * ldc + L);
        c1_0.intoArray(c, cOff + 1 * ldc); c1_1.intoArray(c, cOff + 1 * ldc + L);
        c2_0.intoArray(c, cOff + 2 * ldc); c2_1.intoArray(c, cOff + 2 * ldc + L);
        c3_0.intoArray(c, cOff + 3 * ldc); c3_1.intoArray(c, cOff + 3 * ldc + L);
        c4_0.intoArray(c, cOff + 4 * ldc); c4_1.intoArray(c, cOff + 4 * ldc + L);
        c5_0.intoArray(c, cOff + 5 * ldc); c5_1.intoArray(c, cOff + 5 * ldc + L);
        if (MR > 6) {
            c6_0.intoArray(c, cOff + 6 * ldc); c6_1.intoArray(c, cOff + 6 * ldc + L);
            c7_0.intoArray(c, cOff + 7 * ldc); c7_1.intoArray(c, cOff + 7 * ldc + L);
            c8_0.intoArray(c, cOff + 8 * ldc); c8_1.intoArray(c, cOff + 8 * ldc + L);
            c9_0.intoArray(c, cOff + 9 * ldc); c9_1.intoArray(c, cOff + 9 * ldc + L);
            c10_0.intoArray(c, cOff + 10 * ldc); c10_1.intoArray(c, cOff + 10 * ldc + L);
            c11_0.intoArray(c, cOff + 11 * ldc); c11_1.intoArray(c, cOff + 11 * ldc + L);
        }
    }

    /** Edge tiles: the kernel filled a whole MR×NR tile, of which only the mr×nr corner is in C. */
    private static void addTile(float[] tile, int mr, int nr, float[] c, int cOff, int ldc,
                                boolean load, float[] bias, int biasOff) {
        for (int r = 0; r < mr; r++) {
            int row = cOff + r * ldc;
            for (int j = 0; j < nr; j++) {
                float v = tile[r * NR + j];
                if (load) v += c[row + j];
                if (bias != null) v += bias[biasOff + j];
                c[row + j] = v;
            }
        }
    }

    /**
     * Packs op(A) rows [r0, r1) × K [pc, pc+kc) into MR-row panels from pa[off]: panel p, step k,
     * row r at off + (p*kc + k)*MR + r; rows past r1 are zero.
     */
    private static void packA(Call x, int r0, int r1, int pc, int kc, float[] pa, int off) {
        if (pc >= x.k) {                                  // a K block of the second product
            packA(x.second, r0, r1, pc - x.k, kc, pa, off);
            return;
        }
        float[] a = x.a;
        int lda = x.lda, panelSize = MR * kc;
        if (x.transA) {
            // A stored [k, m]: a panel's values for one K step are adjacent. K outer, so that A is
            // read row by row (sequentially) rather than one short piece per row.
            for (int kk = 0; kk < kc; kk++) {
                int src = x.aOff + (pc + kk) * lda;
                for (int i = r0, dst = off + kk * MR; i < r1; i += MR, dst += panelSize) {
                    int mr = Math.min(MR, r1 - i);
                    if (MR <= L) {
                        FloatVector.fromArray(S, a, src + i, S.indexInRange(0, mr)).intoArray(pa, dst, PANEL_ROWS);
                    } else {
                        for (int r = 0; r < MR; r++) pa[dst + r] = r < mr ? a[src + i + r] : 0f;
                    }
                }
            }
        } else if (MR <= L) {
            // A stored [m, k]: one K step of a panel is a column of MR rows; gather it. The gather
            // checks the bounds of masked-off lanes too, so those point at row 0.
            int[] rowStarts = new int[L];
            for (int i = r0, dst = off; i < r1; i += MR, dst += panelSize) {
                int src = x.aOff + i * lda + pc, mr = Math.min(MR, r1 - i);
                for (int r = 0; r < MR; r++) rowStarts[r] = r < mr ? r * lda : 0;
                VectorMask<Float> rows = S.indexInRange(0, mr);
                for (int kk = 0; kk < kc; kk++) {
                    FloatVector.fromArray(S, a, src + kk, rowStarts, 0, rows).intoArray(pa, dst + kk * MR, PANEL_ROWS);
                }
            }
        } else {
            for (int i = r0, dst = off; i < r1; i += MR, dst += panelSize) {
                int mr = Math.min(MR, r1 - i);
                for (int r = 0; r < MR; r++) {
                    int src = x.aOff + (i + r) * lda + pc;
                    for (int kk = 0; kk < kc; kk++) pa[dst + kk * MR + r] = r < mr ? a[src + kk] : 0f;
                }
            }
        }
    }

    /**
     * Packs op(B) K [pc, pc+kc) × columns [j0, j1) into NR-column panels from pb[off]:
     * panel p, step k, column j at off + (p*kc + k)*NR + j; columns past j1 are zero.
     */
    private static void packB(Call x, int j0, int j1, int pc, int kc, float[] pb, int off) {
        if (pc >= x.k) {
            packB(x.second, j0, j1, pc - x.k, kc, pb, off);
            return;
        }
        Storage b = x.b;
        float[] heap = b instanceof Storage.Heap h ? h.array() : null;
        int panelSize = NR * kc;
        if (!x.transB) {
            // B stored [k, n]: K outer, so that each row of B is read sequentially across the panels.
            for (int kk = 0; kk < kc; kk++) {
                long src = x.bOff + (long) (pc + kk) * x.ldb;
                for (int j = j0, d = off + kk * NR; j < j1; j += NR, d += panelSize) {
                    int nr = Math.min(NR, j1 - j);
                    if (heap == null) {
                        b.read(src + j, pb, d, nr);
                    } else if (nr == NR) {
                        int s = (int) src + j;
                        FloatVector.fromArray(S, heap, s).intoArray(pb, d);
                        FloatVector.fromArray(S, heap, s + L).intoArray(pb, d + L);
                    } else {
                        System.arraycopy(heap, (int) src + j, pb, d, nr);
                    }
                    if (nr < NR) Arrays.fill(pb, d + nr, d + NR, 0f);
                }
            }
            return;
        }
        for (int j = j0, d = off; j < j1; j += NR, d += panelSize) {
            int nr = Math.min(NR, j1 - j);
            if (heap != null) {
                // B stored [n, k]: column j of op(B) is a contiguous row of B; transpose it in.
                transposeInto(heap, (int) (x.bOff + (long) j * x.ldb + pc), x.ldb, nr, kc, pb, d);
            } else {
                float[] rows = WORKSPACE.get().rows(NR * kc);
                for (int jj = 0; jj < nr; jj++) b.read(x.bOff + (long) (j + jj) * x.ldb + pc, rows, jj * kc, kc);
                transposeInto(rows, 0, kc, nr, kc, pb, d);
            }
        }
    }

    /**
     * dst[base + k*NR + j] = src[srcOff + j*ld + k] for j < nr, zero for nr <= j < NR: two gathers
     * per K step (masked-off lanes keep index 0, since the gather checks their bounds too).
     */
    private static void transposeInto(float[] src, int srcOff, int ld, int nr, int kc, float[] dst, int base) {
        int[] rowStarts = new int[NR];
        for (int j = 0; j < nr; j++) rowStarts[j] = j * ld;
        VectorMask<Float> lo = S.indexInRange(0, nr), hi = S.indexInRange(L, nr);
        for (int kk = 0; kk < kc; kk++) {
            FloatVector.fromArray(S, src, srcOff + kk, rowStarts, 0, lo).intoArray(dst, base + kk * NR);
            FloatVector.fromArray(S, src, srcOff + kk, rowStarts, L, hi).intoArray(dst, base + kk * NR + L);
        }
    }

    /**
     * Runs every path (all four layouts, overwrite and accumulate, with and without bias, several
     * K blocks, ragged edges, segment-backed B, split by rows and by columns) until C2 has compiled
     * it. C2 drops branches its profile never saw: a kernel first compiled without, say, the
     * accumulate path deoptimises and runs slowly for a while when that path appears. Benchmarks
     * call this before timing.
     */
    public static void warmUp() {
        SplittableRandom rng = new SplittableRandom(7);
        // Ragged in every dimension, and exact multiples of the blocks.
        int[][] shapes = {{8 * MR + 5, 3 * NR + 3, 2 * KC + 5}, {16 * MR, 4 * NR, 2 * KC}};
        int size = 16 * MR * (2 * KC + 5);
        float[] a = random(rng, size), b = random(rng, size), c = new float[size], bias = random(rng, 4 * NR);
        Storage bf16 = new Storage.Segment(Arena.ofAuto().allocate(2L * size), DType.BF16);
        for (int round = 0; round < 40; round++) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (int layout = 0; layout < 4; layout++) {
                    boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
                    gemm(m, n, k, a, 0, ta ? m : k, ta, b, 0, tb ? k : n, tb, c, 0, n, round % 2 == 0 ? bias : null, 0, round % 3 == 0);
                    // Few rows: split by columns.
                    gemm(MR / 2, n, k, a, 0, ta ? MR / 2 : k, ta, b, 0, tb ? k : n, tb, c, 0, n, round % 2 == 1 ? bias : null, 0, round % 3 == 1);
                }
                gemm(m, n, k, a, 0, k, false, bf16, 0, k, true, c, 0, n, bias, 0, false);
                gemm(m, n, k, a, 0, k, false, bf16, 0, n, false, c, 0, n, null, 0, true);
                // Two products in one sweep (a LoRA layer): the second's K blocks.
                gemm(m, n, k, a, 0, k, new Storage.Heap(b), 0, k, true, 8, a, 0, 8, new Storage.Heap(b), 0, 8, true, c, 0, n, bias, 0, false);
            }
        }
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rng.nextDouble() * 2 - 1);
        return x;
    }

    private static void checkArgs(int m, int n, int k,
                                  float[] a, int aOff, int lda, boolean transA,
                                  Storage b, long bOff, int ldb, boolean transB,
                                  float[] c, int cOff, int ldc, float[] bias, int biasOff) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("Gemm: negative size m=" + m + " n=" + n + " k=" + k);
        checkMatrix("A", a.length, aOff, lda, transA ? k : m, transA ? m : k);
        checkMatrix("B", b.size(), bOff, ldb, transB ? n : k, transB ? k : n);
        checkMatrix("C", c.length, cOff, ldc, m, n);
        if (bias != null && (biasOff < 0 || (long) biasOff + n > bias.length)) {
            throw new IllegalArgumentException("Gemm: bias of length " + bias.length + " at offset " + biasOff
                    + " does not cover n=" + n + " columns");
        }
    }

    private static void checkMatrix(String name, long length, long off, int ld, int rows, int cols) {
        if (off < 0 || ld < cols) {
            throw new IllegalArgumentException("Gemm: " + name + " stored [" + rows + ", " + cols
                    + "] needs offset >= 0 and leading dimension >= " + cols + " (offset " + off + ", ld " + ld + ")");
        }
        if (rows == 0 || cols == 0) return;
        long end = off + (long) (rows - 1) * ld + cols;
        if (end > length) {
            throw new IllegalArgumentException("Gemm: " + name + " stored [" + rows + ", " + cols + "] at offset " + off
                    + " with leading dimension " + ld + " needs " + end + " elements, has " + length);
        }
    }

    static int ceilDiv(int x, int y) { return (x + y - 1) / y; }

    static int roundUp(int x, int y) { return ceilDiv(x, y) * y; }
}
