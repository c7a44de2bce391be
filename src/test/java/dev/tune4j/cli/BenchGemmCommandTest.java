package dev.tune4j.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench gemm sizes a request before allocating it: what does not fit is refused with the memory it would need. */
class BenchGemmCommandTest {

    @Test
    void aRequestTooLargeIsRefusedWithTheMemoryItWouldNeed() {
        var huge = assertThrows(IllegalArgumentException.class, () -> BenchGemmCommand.requireFits(100_000, 100_000, 100_000));
        assertEquals("--m 100000 --n 100000 --k 100000 needs 120.0 GB for A, B and C, and one matrix of 10000000000 floats"
                + " is more than a Java array holds (2147483639)", huge.getMessage());
        var overflow = assertThrows(IllegalArgumentException.class, () -> BenchGemmCommand.requireFits(46341, 46341, 1));
        assertTrue(overflow.getMessage().startsWith("--m 46341 --n 46341 --k 1 needs 8.6 GB for A, B and C, and one matrix of 2147488281 floats"),
                "the int product would overflow to -2147479015: " + overflow.getMessage());
        long heap = Runtime.getRuntime().maxMemory();
        int side = (int) Math.min(40_000, Math.sqrt(heap / 4.0) + 1);     // C alone is more than the heap, yet fits an array
        var tooMuch = assertThrows(IllegalArgumentException.class, () -> BenchGemmCommand.requireFits(side, side, side));
        assertTrue(tooMuch.getMessage().contains("GB heap"), tooMuch.getMessage());
        BenchGemmCommand.requireFits(64, 64, 64);
    }

    @Test
    void aRequestThatWouldRunForHoursIsRefused() {
        var hours = assertThrows(IllegalArgumentException.class, () -> BenchGemmCommand.requireFinishes(20_000, 20_000, 20_000, 14));
        assertTrue(hours.getMessage().startsWith("--m 20000 --n 20000 --k 20000 over 14 runs (--warmup and --runs) is 2.2e+14 floating-point operations"),
                hours.getMessage());
        BenchGemmCommand.requireFinishes(2048, 2048, 2048, 14);
    }
}
