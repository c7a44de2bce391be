package dev.tune4j.kernel;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The fixed worker pool every kernel runs on. Work is split into contiguous, equal chunks that
 * depend only on the problem size and the thread count, and each output element is written by
 * exactly one chunk, so results are bitwise deterministic for a given thread count.
 * Calls made from inside a chunk run serially (no nested fan-out).
 *
 * <p>The thread count defaults to the machine's cores and can be set with the system property
 * {@code tune4j.threads} or {@link #setThreads(int)}.
 */
public final class Parallel {

    /** A piece of work over the half-open range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
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

    /** Replaces the pool; not to be called while kernels are running. */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (n == pool.threads) return;
        Pool old = pool;
        pool = new Pool(n);
        old.shutdown();
    }

    /** Runs body over [0, n) split into at most threads() chunks of at least minChunk items. */
    public static void forRange(int n, int minChunk, Range body) {
        if (n <= 0) return;
        Pool p = pool;
        int chunks = Math.min(p.threads, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || INSIDE.get()) {
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
                        while (true) q.take().run();
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
            CountDownLatch done = new CountDownLatch(chunks - 1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int c = 1; c < chunks; c++) {
                int s = chunkStart(n, chunks, c), e = chunkStart(n, chunks, c + 1);
                queues[c - 1].add(() -> {
                    try {
                        body.run(s, e);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        done.countDown();
                    }
                });
            }
            INSIDE.set(true);
            try {
                body.run(0, chunkStart(n, chunks, 1));
            } finally {
                INSIDE.set(false);
            }
            try {
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

        void shutdown() {
            for (Thread t : workers) t.interrupt();
        }
    }
}
