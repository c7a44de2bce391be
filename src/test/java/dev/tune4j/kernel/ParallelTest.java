package dev.tune4j.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class ParallelTest {
    @Test
    void everyIndexIsVisitedExactlyOnce() {
        int n = 10_007;
        int[] hits = new int[n];
        Parallel.forRange(n, 16, (s, e) -> { for (int i = s; i < e; i++) hits[i]++; });
        for (int h : hits) assertEquals(1, h);
    }

    @Test
    void nestedCallsRunSeriallyWithoutDeadlock() {
        AtomicInteger total = new AtomicInteger();
        Parallel.forRange(8, (s, e) -> {
            for (int i = s; i < e; i++) Parallel.forRange(100, (a, b) -> total.addAndGet(b - a));
        });
        assertEquals(800, total.get());
    }

    @Test
    void failureInAWorkerIsRethrownToTheCaller() {
        int before = Parallel.threads();
        Parallel.setThreads(2);
        try {
            RuntimeException ex = assertThrows(RuntimeException.class, () ->
                    Parallel.forRange(100, (s, e) -> { if (s > 0) throw new IllegalStateException("boom"); }));
            assertEquals("boom", ex.getMessage());
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void chunksAreFixedByTheSizeAndThreadCountWhoeverRunsThem() {
        int before = Parallel.threads();
        Parallel.setThreads(2);
        try {
            java.util.Set<String> first = java.util.concurrent.ConcurrentHashMap.newKeySet(), again = java.util.concurrent.ConcurrentHashMap.newKeySet();
            Parallel.forRange(1000, 10, (s, e) -> first.add(s + ".." + e));
            Parallel.forRange(1000, 10, (s, e) -> again.add(s + ".." + e));
            assertEquals(first, again);
            assertEquals(2 * Parallel.CHUNKS_PER_THREAD, first.size());
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void aStalledThreadsChunksAreTakenOverByTheOthers() {
        int before = Parallel.threads();
        Parallel.setThreads(2);
        try {
            int n = 2 * Parallel.CHUNKS_PER_THREAD;
            java.util.concurrent.CountDownLatch othersDone = new java.util.concurrent.CountDownLatch(n - 1);
            java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicBoolean gaveUp = new java.util.concurrent.atomic.AtomicBoolean();
            Parallel.forRange(n, 1, (s, e) -> {
                if (Thread.currentThread().getName().startsWith("tune4j-worker") && stalled.compareAndSet(false, true)) {
                    // the worker's first chunk holds it until every other chunk is done, by the caller
                    try {
                        if (!othersDone.await(30, java.util.concurrent.TimeUnit.SECONDS)) gaveUp.set(true);
                    } catch (InterruptedException ex) {
                        throw new IllegalStateException(ex);
                    }
                } else {
                    othersDone.countDown();
                }
            });
            assertFalse(gaveUp.get(), "the caller did not take over the stalled worker's chunks");
        } finally {
            Parallel.setThreads(before);
        }
    }
}
