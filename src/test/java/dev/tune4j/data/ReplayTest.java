package dev.tune4j.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ReplayTest {
    private static List<String> items(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(prefix + i);
        return out;
    }

    @Test
    void theRatioIsTheReplayShareOfTheMixedStream() {
        List<String> mixed = Replay.mix(items("d", 80), items("g", 500), 0.2, 1);
        long replay = mixed.stream().filter(s -> s.startsWith("g")).count();
        assertEquals(100, mixed.size());
        assertEquals(20, replay, "20 of 100 = ratio 0.2");
        assertEquals(mixed.subList(0, 80), items("d", 80), "every domain example kept, in order");
        assertEquals(20, mixed.subList(80, 100).stream().distinct().count(), "drawn without replacement");
    }

    @Test
    void theDrawIsAFunctionOfTheSeed() {
        assertEquals(Replay.mix(items("d", 50), items("g", 300), 0.3, 7), Replay.mix(items("d", 50), items("g", 300), 0.3, 7));
        assertNotEquals(Replay.mix(items("d", 50), items("g", 300), 0.3, 7), Replay.mix(items("d", 50), items("g", 300), 0.3, 8));
    }

    @Test
    void aSmallSourceIsCycledThroughWholeBeforeAnyRepeat() {
        List<String> mixed = Replay.mix(items("d", 90), items("g", 4), 0.1, 3);
        List<String> drawn = mixed.subList(90, 100);
        assertEquals(4, drawn.subList(0, 4).stream().distinct().count());
        assertEquals(4, drawn.subList(4, 8).stream().distinct().count());
    }

    @Test
    void zeroRatioAddsNothingAndARatioOfOneIsRefused() {
        assertEquals(10, Replay.mix(items("d", 10), List.of(), 0, 1).size());
        assertThrows(IllegalArgumentException.class, () -> Replay.count(10, 1.0));
        assertThrows(IllegalArgumentException.class, () -> Replay.mix(items("d", 10), List.of(), 0.5, 1));
    }
}
