package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class DropoutStreamTest {

    /** The mask seeds a site draws under a tape keyed {@code key}, {@code n} of them. */
    private static List<Long> drawsUnder(DropoutStream s, long key, int n) {
        try (Tape t = Tape.record(key)) {
            Long[] out = new Long[n];
            for (int i = 0; i < n; i++) out[i] = s.next();
            return List.of(out);
        }
    }

    @Test
    void aKeyedTapeDrawsTheSameSeedsWhateverWasDrawnBefore() {
        DropoutStream fresh = new DropoutStream(42), used = new DropoutStream(42);
        for (long k = 0; k < 5; k++) drawsUnder(used, k, 3); // an interrupted run had drawn these
        used.next();                                          // and some draws outside any key
        assertEquals(drawsUnder(fresh, 7L << 32 | 1, 3), drawsUnder(used, 7L << 32 | 1, 3), "a resumed run draws what an uninterrupted one does");
    }

    @Test
    void keysDrawsAndSitesAllGiveDifferentSeeds() {
        Set<Long> seen = new HashSet<>();
        for (long site = 1; site <= 3; site++) {
            DropoutStream s = new DropoutStream(site);
            for (long key : new long[] {0, 1, 1L << 32, 1L << 32 | 1}) seen.addAll(drawsUnder(s, key, 4));
        }
        assertEquals(3 * 4 * 4, seen.size());
    }

    @Test
    void withoutAKeyTheDrawsContinueOneAfterAnother() {
        DropoutStream s = new DropoutStream(9);
        long first = s.next(), second;
        try (Tape t = Tape.record()) {
            second = s.next();
        }
        assertNotEquals(first, second, "successive unkeyed steps get new masks");
        assertEquals(first, new DropoutStream(9).next(), "and the sequence is a function of the seed");
    }
}
