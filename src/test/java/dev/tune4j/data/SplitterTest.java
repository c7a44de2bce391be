package dev.tune4j.data;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplitterTest {

    @Test
    void specsByRatioCountOrRest() {
        assertArrayEquals(new int[] {800, 100, 100}, SplitSpec.parse("0.8/0.1/0.1").targets(1000));
        assertArrayEquals(new int[] {8, 1, 1}, SplitSpec.parse("80%/10%/10%").targets(10));
        assertArrayEquals(new int[] {4, 2, 1}, SplitSpec.parse("0.6/0.2/0.2").targets(7), "largest remainders fill up to n");
        assertArrayEquals(new int[] {1600, 400, 1000}, SplitSpec.parse("rest/400/1000").targets(3000));
        assertArrayEquals(new int[] {400, 1000, 600}, SplitSpec.parse("400/1000/rest").targets(2000));
        assertArrayEquals(new int[] {1600, 400, 0}, SplitSpec.parse("train=rest,validation=400").targets(2000));
        assertArrayEquals(new int[] {90, 10, 0}, SplitSpec.parse("0.9/0.1").targets(100));
        assertArrayEquals(new int[] {0, 0, 7}, SplitSpec.parse("0/0/1").targets(7), "a lone 1 is everything, not one row");
        assertThrows(IllegalArgumentException.class, () -> SplitSpec.parse("0.8/0.1/0.2"));
        assertThrows(IllegalArgumentException.class, () -> SplitSpec.parse("400/1000/500"));
        assertThrows(IllegalArgumentException.class, () -> SplitSpec.parse("rest/rest/0.1"));
        assertThrows(IllegalArgumentException.class, () -> SplitSpec.parse("train=0.5,dev=0.5"));
        assertThrows(IllegalArgumentException.class, () -> SplitSpec.parse("rest/400/1000").targets(1000));
    }

    static String[] ids(int n) {
        String[] s = new String[n];
        for (int i = 0; i < n; i++) s[i] = "f:" + (i + 1);
        return s;
    }

    @Test
    void splitsHaveExactSizesAndAreDeterministic() {
        int[] a = Splitter.assign(ids(1000), null, null, SplitSpec.parse("rest/150/50"), 7);
        assertEquals(800, count(a, 0));
        assertEquals(150, count(a, 1));
        assertEquals(50, count(a, 2));
        assertArrayEquals(a, Splitter.assign(ids(1000), null, null, SplitSpec.parse("rest/150/50"), 7));
        int[] b = Splitter.assign(ids(1000), null, null, SplitSpec.parse("rest/150/50"), 8);
        int same = 0;
        for (int i = 0; i < 1000; i++) if (a[i] == b[i]) same++;
        assertTrue(same < 1000, "the seed changes the assignment");
    }

    @Test
    void stratificationKeepsLabelProportionsInEverySplit() {
        int n = 1000;
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10 == 0 ? "rare" : i % 3 == 0 ? "mid" : "common";
        int[] s = Splitter.assign(ids(n), null, labels, SplitSpec.defaults(), 1);
        Map<String, int[]> per = new HashMap<>();
        for (int i = 0; i < n; i++) per.computeIfAbsent(labels[i], k -> new int[3])[s[i]]++;
        for (Map.Entry<String, int[]> e : per.entrySet()) {
            int total = e.getValue()[0] + e.getValue()[1] + e.getValue()[2];
            for (int k = 1; k < 3; k++) assertEquals(total * 0.1, e.getValue()[k], 1.0, e.getKey() + " in split " + k);
        }
        assertEquals(800, count(s, 0));
    }

    @Test
    void rowsSharingASplitKeyNeverStraddleSplits() {
        int n = 2000;
        String[] key = new String[n];
        for (int i = 0; i < n; i++) key[i] = "source-" + (i * 7919 % 97);
        int[] s = Splitter.assign(ids(n), key, null, SplitSpec.defaults(), 3);
        Map<String, Integer> where = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Integer prev = where.putIfAbsent(key[i], s[i]);
            if (prev != null) assertEquals(prev, s[i], key[i]);
        }
        assertTrue(count(s, 1) > 0 && count(s, 2) > 0, "groups still reach every split");
    }

    static int count(int[] s, int v) {
        int c = 0;
        for (int x : s) if (x == v) c++;
        return c;
    }
}
