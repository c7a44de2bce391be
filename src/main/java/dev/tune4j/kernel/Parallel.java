package dev.tune4j.kernel;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The fixed worker pool every kernel runs on. Work is split into contiguous, equal chunks that
 * depend only on the problem size and the thread count, and each output element is written by
 * exactly one chunk, so results are bitwise deterministic for a given thread count.
 * Calls made from inside a chunk run serially (no nested fan-out).
 *
 * <p>Balancing: there are {@link #CHUNKS_PER_THREAD} chunks per thread (fewer when minChunk says
 * so), and the threads take the next chunk as they become free. Which thread runs a chunk varies,
 * what it computes does not. On a machine shared with other processes a thread can lose its core
 * for a scheduler time slice; with one fixed chunk per thread the others would wait for it at the
 * join, here they take over its remaining chunks.
 *
 * <p>The thread count defaults to the machine's cores and can be set with the system property
 * {@code tune4j.threads} or {@link #setThreads(int)}.
 *
 * <p>Waiting: a model forward is hundreds of fork-joins microseconds apart, so idle workers and a
 * caller waiting for its chunks spin for {@link #SPIN_NANOS} before they block. A thread that
 * blocks gives up its core, and on a busy machine waking it again can take a scheduler time slice
 * (milliseconds) instead of microseconds, every time.
 */
public final class Parallel {

    /** A piece of work over the half-open range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    /**
     * Chunks per thread when the work allows, enough for a stalled thread's share to be taken
     * over: {@code tune4j.chunks.per.thread}, default 8 (1: one fixed chunk per thread).
     */
    static final int CHUNKS_PER_THREAD = Math.max(1, Integer.getInteger("tune4j.chunks.per.thread", 8));
    /** How long a waiting thread spins before it blocks: {@code tune4j.spin.micros}, default 200 µs (0: block at once). */
    static final long SPIN_NANOS = 1000L * Math.max(0, Integer.getInteger("tune4j.spin.micros", 200));
    private static volatile Pool pool = new Pool(defaultThreads());

    private Parallel() {}

    private static int defaultThreads() {
        String p = System.getProperty("tune4j.threads");
        if (p != null && !p.isBlank()) return Math.max(1, Integer.parseInt(p.trim()));
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public static int threads() {
        return pool.threads;
    }

    /** More workers than this is a typo, not a machine: each one is a platform thread. */
    public static final int MAX_THREADS = 1024;

    /** Replaces the pool; not to be called while kernels are running. */
    public static synchronized void setThreads(int n) {
        if (n < 1 || n > MAX_THREADS) throw new IllegalArgumentException("threads must be in [1, " + MAX_THREADS + "], got " + n);
        if (n == pool.threads) return;
        Pool old = pool;
        pool = new Pool(n);
        old.shutdown();
    }

    /**
     * Runs body over [0, n) split into at most threads() · {@link #CHUNKS_PER_THREAD} chunks of at
     * least minChunk items (one call on this thread when that is a single chunk).
     */
    public static void forRange(int n, int minChunk, Range body) {
        if (n <= 0) return;
        Pool p = pool;
        int chunks = Math.min(p.threads * CHUNKS_PER_THREAD, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || p.threads == 1 || INSIDE.get()) {
            body.run(0, n);
            return;
        }
        p.run(n, chunks, body);
    }

    public static void forRange(int n, Range body) {
        forRange(n, 1, body);
    }

    /** Start of chunk c when n items are split into k chunks. */
    static int chunkStart(int n, int k, int c) {
        return (int) ((long) n * c / k);
    }

    private static final class Pool {
        final int threads;
        final LinkedBlockingQueue<Runnable>[] queues;
        final Thread[] workers;

        @SuppressWarnings("unchecked")
        Pool(int threads) {
            this.threads = threads;
            queues = new LinkedBlockingQueue[threads - 1];
            workers = new Thread[threads - 1];
            for (int i = 0; i < threads - 1; i++) {
                LinkedBlockingQueue<Runnable> q = new LinkedBlockingQueue<>();
                queues[i] = q;
                Thread t = new Thread(() -> {
                    INSIDE.set(true);
                    try {
                        while (true) {
                            spinUntil(() -> !q.isEmpty());
                            q.take().run();
                        }
                    } catch (InterruptedException e) {
                        // pool shut down
                    }
                }, "tune4j-worker-" + i);
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        void run(int n, int chunks, Range body) {
            int helpers = Math.min(threads, chunks) - 1;
            CountDownLatch done = new CountDownLatch(helpers);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger next = new AtomicInteger();
            Runnable take = () -> {
                // after a failure the remaining chunks are skipped: the caller rethrows it
                for (int c; failure.get() == null && (c = next.getAndIncrement()) < chunks; ) {
                    body.run(chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1));
                }
            };
            for (int w = 0; w < helpers; w++) {
                queues[w].add(() -> {
                    try {
                        take.run();
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        done.countDown();
                    }
                });
            }
            INSIDE.set(true);
            try {
                take.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                INSIDE.set(false);
            }
            try {
                spinUntil(() -> done.getCount() == 0);
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for kernel workers", e);
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error err) throw err;
            if (t != null) throw new IllegalStateException(t);
        }

        /** Spins until the condition holds or SPIN_NANOS pass (the caller then blocks if need be). */
        private static void spinUntil(java.util.function.BooleanSupplier condition) {
            if (SPIN_NANOS == 0 || condition.getAsBoolean()) return;
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (!condition.getAsBoolean() && System.nanoTime() < deadline) Thread.onSpinWait();
        }

        void shutdown() {
            for (Thread t : workers) t.interrupt();
        }
    }
}
