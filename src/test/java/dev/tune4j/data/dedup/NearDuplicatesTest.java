package dev.tune4j.data.dedup;

import dev.tune4j.data.ExactJaccard;
import dev.tune4j.data.SyntheticRows;
import dev.tune4j.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NearDuplicatesTest {
    static final NearDuplicates.Config CFG = NearDuplicates.Config.defaults();

    /**
     * Property: on random data sets with planted copies (random sizes, edit counts, seeds), every
     * dropped row has a representative that is kept and at or above the threshold by an exact
     * string-set Jaccard computed independently; no kept row is at or above the threshold against
     * another kept row (checked over all pairs); and every planted copy at or above the threshold
     * is dropped.
     */
    @Test
    void deduplicationNeverDropsARowWithoutASurvivingRepresentative() {
        SplittableRandom cases = new SplittableRandom(2024);
        int checkedDrops = 0;
        for (int c = 0; c < 60; c++) {
            int n = 20 + cases.nextInt(180);
            double near = cases.nextDouble() * 0.5, exact = cases.nextDouble() * 0.2;
            SyntheticRows.Rows data = SyntheticRows.generate(n, near, exact, cases.nextLong());
            double t = 0.5 + cases.nextDouble() * 0.45;
            NearDuplicates idx = NearDuplicates.index(data.texts(), CFG.withThreshold(t));
            NearDuplicates.Result r = idx.deduplicate();
            List<Set<String>> sh = data.texts().stream().map(ExactJaccard::shingles).toList();
            for (int i = 0; i < n; i++) {
                int rep = r.representativeOf(i);
                if (rep < 0) continue;
                checkedDrops++;
                assertTrue(rep < i, "a representative comes first");
                assertEquals(-1, r.representativeOf(rep), "case " + c + ": representative of row " + i + " was itself dropped");
                double j = ExactJaccard.jaccard(sh.get(i), sh.get(rep));
                assertTrue(j >= t, "case " + c + ": row " + i + " dropped at Jaccard " + j + " < " + t);
                assertEquals(j, r.similarity()[i], 1e-6);
            }
            for (int i = 0; i < n; i++) {
                if (r.representativeOf(i) >= 0) continue;
                for (int k = i + 1; k < n; k++) {
                    if (r.representativeOf(k) >= 0) continue;
                    assertTrue(ExactJaccard.jaccard(sh.get(i), sh.get(k)) < t, "case " + c + ": kept rows " + i + " and " + k + " are near duplicates");
                }
                int src = data.copyOf()[i];
                if (src >= 0) assertTrue(ExactJaccard.jaccard(sh.get(i), sh.get(src)) < t, "a planted copy at or above the threshold survived");
            }
        }
        assertTrue(checkedDrops > 500, "the property was exercised (" + checkedDrops + " drops)");
    }

    @Test
    void noChainingThroughASeriesOfNeighbours() {
        // A ~ B and B ~ C at 0.8+, but A and C are further apart: C must not go because of B.
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 60; i++) words.add("w" + i);
        String a = String.join(" ", words);
        List<String> wb = new ArrayList<>(words);
        wb.set(20, "x1");
        String b = String.join(" ", wb);
        List<String> wc = new ArrayList<>(wb);
        wc.set(40, "x2");
        wc.set(50, "x3");
        String c = String.join(" ", wc);
        double ab = ExactJaccard.jaccard(ExactJaccard.shingles(a), ExactJaccard.shingles(b));
        double bc = ExactJaccard.jaccard(ExactJaccard.shingles(b), ExactJaccard.shingles(c));
        double ac = ExactJaccard.jaccard(ExactJaccard.shingles(a), ExactJaccard.shingles(c));
        double t = 0.8;
        assertTrue(ab >= t && bc >= t && ac < t, ab + " " + bc + " " + ac);
        NearDuplicates.Result r = NearDuplicates.index(List.of(a, b, c), CFG.withThreshold(t)).deduplicate();
        assertEquals(-1, r.representativeOf(0));
        assertEquals(0, r.representativeOf(1));
        assertEquals(-1, r.representativeOf(2), "C is kept: its only near duplicate (B) was itself dropped");
    }

    @Test
    void resultsDependOnDataAndSeedNotOnThreadCount() {
        SyntheticRows.Rows data = SyntheticRows.generate(3000, 0.2, 0.05, 11);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            NearDuplicates.Result one = NearDuplicates.index(data.texts(), CFG).deduplicate();
            Parallel.setThreads(3);
            NearDuplicates.Result three = NearDuplicates.index(data.texts(), CFG).deduplicate();
            assertArrayEquals(one.representative(), three.representative());
            assertArrayEquals(one.similarity(), three.similarity());
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void twentyThousandRowsFindEveryPlantedCopyAboveTheThreshold() {
        SyntheticRows.Rows data = SyntheticRows.generate(20_000, 0.1, 0.02, 5);
        NearDuplicates idx = NearDuplicates.index(data.texts(), CFG);
        NearDuplicates.Result r = idx.deduplicate();
        long eligible = 0, found = 0;
        for (int i = 0; i < data.texts().size(); i++) {
            int src = data.copyOf()[i];
            if (src < 0 || idx.jaccard(i, src) < 0.8) continue;
            eligible++;
            if (r.representativeOf(i) >= 0) found++;
        }
        System.out.printf("NEARDUP rows=20000 planted>=0.8=%d found=%d dropped=%d candidates=%d%n", eligible, found, r.dropped(), r.candidatePairs());
        assertTrue(eligible > 1500);
        assertEquals(eligible, found, "recall on planted copies");
    }

    @Test
    void crossMatchesFindTheBestReferenceOnly() {
        String base = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
        List<String> rows = List.of(base, base + " sixteen", "completely different words in this row here", base.replace("fifteen", "fuenfzehn"));
        NearDuplicates idx = NearDuplicates.index(rows, CFG.withThreshold(0.7));
        byte[] role = {0, 1, 0, 0};
        List<NearDuplicates.Match> m = idx.crossMatches(role);
        assertEquals(1, m.size());
        assertEquals(1, m.get(0).row());
        assertEquals(0, m.get(0).reference(), "row 3 also matches, less closely");
        assertEquals(13.0 / 14, m.get(0).similarity(), 1e-12);
        assertTrue(idx.jaccard(1, 3) >= 0.7 && idx.jaccard(1, 3) < 13.0 / 14);
    }
}
