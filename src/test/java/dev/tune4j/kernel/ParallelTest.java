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
}
