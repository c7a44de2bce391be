package dev.tune4j.kernel;

import dev.tune4j.tensor.Storage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Once compiled, the kernels allocate nothing per element. A vector op that C2 leaves out of line
 * (its inlining budget is a fixed IR size, easily exhausted by the Vector API) boxes its vectors on
 * the heap, a silent 5-10x slowdown, and shows up here as allocation proportional to the size.
 * Each kernel runs on 1 thread (so this thread's allocation counter sees everything) until one
 * call allocates less than {@link #BUDGET} bytes, or fails after {@link #MAX_CALLS} calls. Before
 * C2 has compiled a kernel (C1 boxes every vector) it allocates ~700 B per vector; on a loaded
 * machine that can last a few hundred calls, hence the generous bound.
 */
class KernelAllocationTest {
    static final int ROWS = 64, DIM = 1000, N = ROWS * DIM;
    /** Fixed per-call overhead (lambdas, small arrays): far below one boxed vector per iteration. */
    static final long BUDGET = 4096;
    static final int MAX_CALLS = 5000;
    static int threadsBefore;

    @BeforeAll
    static void oneThread() {
        threadsBefore = Parallel.threads();
        Parallel.setThreads(1);
    }

    @AfterAll
    static void restore() {
        Parallel.setThreads(threadsBefore);
    }

    static float[] randn(long seed, int n) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextGaussian();
        return a;
    }

    static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    static void assertSteadyStateAllocationFree(String kernel, Runnable call) {
        long last = -1;
        for (int i = 0; i < MAX_CALLS; i++) {
            long a0 = allocated();
            call.run();
            last = allocated() - a0;
            if (last < BUDGET) {
                System.out.println("ALLOC " + kernel + ": " + last + " B per call after " + i + " warm-up calls");
                return;
            }
        }
        fail(kernel + " still allocates " + last + " B per call (" + N + " elements) after " + MAX_CALLS
                + " calls: a vector operation is not inlined");
    }

    final float[] x = randn(1, N), y = new float[N], dy = randn(2, N), dx = new float[N], u = randn(3, N), du = new float[N];
    final float[] g = randn(4, DIM), b = randn(5, DIM), dg = new float[DIM], db = new float[DIM];
    final float[] mean = new float[ROWS], rstd = new float[ROWS], stats = new float[2 * ROWS];
    final int[] targets = new SplittableRandom(6).ints(ROWS, 0, DIM).toArray();

    @Test
    void activations() {
        for (Activations.Kind k : Activations.Kind.values()) {
            assertSteadyStateAllocationFree(k + " forward", () -> Activations.forward(k, x, y, N));
            assertSteadyStateAllocationFree(k + " backward", () -> Activations.backward(k, x, dy, dx, N));
        }
        assertSteadyStateAllocationFree("swiglu forward", () -> Activations.swigluForward(x, u, y, N));
        assertSteadyStateAllocationFree("swiglu backward", () -> Activations.swigluBackward(x, u, dy, dx, du, N));
    }

    @Test
    void norms() {
        for (boolean centered : new boolean[] {true, false}) {
            String name = centered ? "layernorm" : "rmsnorm";
            assertSteadyStateAllocationFree(name + " forward", () -> Norms.forward(centered, x, g, centered ? b : null, y, centered ? mean : null, rstd, ROWS, DIM, 1e-5f));
            assertSteadyStateAllocationFree(name + " add forward", () -> Norms.addForward(centered, x, u, y, g, centered ? b : null, y, null, null, ROWS, DIM, 1e-5f));
            assertSteadyStateAllocationFree(name + " backward", () -> Norms.backward(centered, x, g, centered ? mean : null, rstd, dy, dx, dg, centered ? db : null, ROWS, DIM));
        }
    }

    @Test
    void attentionForward() {
        // 2 batch rows of 64 tokens, 4 heads of 32, without and with a padding mask and causal masking
        AttentionKernel.Dims d = new AttentionKernel.Dims(2, 64, 64, 4, 4, 32);
        float[] q = randn(8, 2 * 64 * 128), k = randn(9, 2 * 64 * 128), v = randn(10, 2 * 64 * 128), out = new float[2 * 64 * 128];
        int[][] keyValid = new int[2][64];
        for (int s = 0; s < 64; s++) { keyValid[0][s] = 1; keyValid[1][s] = s < 50 ? 1 : 0; }
        for (AttentionMask m : new AttentionMask[] {AttentionMask.NONE, new AttentionMask(true, keyValid)}) {
            assertSteadyStateAllocationFree("attention forward" + (m.causal() ? " (causal, padded)" : ""),
                    () -> AttentionKernel.forward(d, q, k, v, m, 0.17f, out, null));
        }
    }

    @Test
    void softmaxAndCrossEntropy() {
        assertSteadyStateAllocationFree("softmax forward", () -> Softmax.forward(x, y, ROWS, DIM));
        assertSteadyStateAllocationFree("softmax backward", () -> Softmax.backward(y, dy, dx, ROWS, DIM));
        // forward allocates its per-row loss array (ROWS doubles)
        assertSteadyStateAllocationFree("cross-entropy forward", () -> CrossEntropyKernel.forward(x, ROWS, DIM, targets, -100, null, stats));
        assertSteadyStateAllocationFree("cross-entropy backward", () -> CrossEntropyKernel.backward(x, stats, ROWS, DIM, targets, -100, null, 0.5f, dx));
    }

    @Test
    void elementwiseReductionsDropoutPoolingEmbedding() {
        assertSteadyStateAllocationFree("add", () -> Elementwise.add(x, u, y, N));
        assertSteadyStateAllocationFree("mul", () -> Elementwise.mul(x, u, y, N));
        assertSteadyStateAllocationFree("scale", () -> Elementwise.scale(x, 0.5f, y, N));
        assertSteadyStateAllocationFree("axpy", () -> Elementwise.axpy(0.5f, x, dx, N));
        assertSteadyStateAllocationFree("addProduct", () -> Elementwise.addProduct(x, u, dx, N));
        assertSteadyStateAllocationFree("addConstant", () -> Elementwise.addConstant(0.5f, dx, N));
        assertSteadyStateAllocationFree("sum", () -> Reduce.sum(x, N));
        assertSteadyStateAllocationFree("max", () -> Reduce.max(x, 0, N));
        assertSteadyStateAllocationFree("dropout", () -> DropoutKernel.apply(x, y, false, N, 0.1f, 42L));
        assertSteadyStateAllocationFree("l2normalize forward", () -> Pooling.l2NormalizeForward(x, y, rstd, ROWS, DIM, 1e-12f));
        assertSteadyStateAllocationFree("l2normalize backward", () -> Pooling.l2NormalizeBackward(y, rstd, dy, dx, ROWS, DIM, 1e-12f));
        int[][] mask = new int[8][8];
        for (int[] row : mask) java.util.Arrays.fill(row, 1);
        float[] inv = Pooling.maskWeights(mask);
        assertSteadyStateAllocationFree("meanpool forward", () -> Pooling.meanPoolForward(x, 8, 8, DIM, mask, inv, y));
        assertSteadyStateAllocationFree("meanpool backward", () -> Pooling.meanPoolBackward(dy, 8, 8, DIM, mask, inv, dx));
        Storage table = new Storage.Heap(x);
        int[] ids = new SplittableRandom(7).ints(ROWS, 0, ROWS).toArray();
        assertSteadyStateAllocationFree("embedding gather", () -> EmbeddingKernel.gather(table, DIM, ids, y));
        assertSteadyStateAllocationFree("embedding scatter-add", () -> EmbeddingKernel.scatterAdd(ids, dy, dx, ROWS, DIM));
    }
}
