package dev.tune4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.cli.Main;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leakage check is proven able to fail, and the default pipeline is proven to leave no
 * near duplicates across splits, both against an exact all-pairs Jaccard oracle that does not use
 * MinHash ({@link ExactJaccard}).
 */
class LeakageCheckTest {

    /** Rows with planted exact copies (some differing only in case and spacing) and near copies. */
    static Path planted(Path dir) throws Exception {
        SyntheticRows.Rows rows = SyntheticRows.generate(1500, 0.12, 0.06, 99);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows.texts().size(); i++) {
            String t = rows.texts().get(i);
            if (rows.copyOf()[i] >= 0 && rows.edits()[i] == 0 && i % 2 == 0) t = t.toUpperCase(Locale.ROOT).replace(" ", "  ");
            lines.add(Json.line(java.util.Map.of("text", t)));
        }
        Path f = dir.resolve("planted.jsonl");
        Files.write(f, lines);
        return f;
    }

    static String normalised(String s) {
        return String.join(" ", s.toLowerCase(Locale.ROOT).trim().split("\\s+"));
    }

    @Test
    void withDeduplicationOffThePlantedLeaksAreExactlyTheOnesFound(@TempDir Path dir) throws Exception {
        Path in = planted(dir);
        Path out = dir.resolve("nodedup");
        int code = Main.execute("data", "prepare", "--input", in.toString(), "--out", out.toString(), "--no-dedup",
                "--split", "0.6/0.2/0.2", "--fail-on-leakage", "--json");
        assertEquals(3, code, "--fail-on-leakage fails the run (status 3; 2 is a usage error)");

        List<JsonNode> train = Prepared.split(out, "train");
        List<String> trainTexts = Prepared.texts(train);
        Set<String> trainNorm = new HashSet<>();
        for (String t : trainTexts) trainNorm.add(normalised(t));
        // the oracle: which validation/test rows repeat a training row, exactly or at Jaccard >= 0.8
        Set<String> expectedExact = new HashSet<>(), expectedNear = new HashSet<>();
        for (String split : List.of("validation", "test")) {
            List<JsonNode> rows = Prepared.split(out, split);
            List<String> texts = Prepared.texts(rows);
            Set<Integer> near = new HashSet<>();
            for (ExactJaccard.Pair p : ExactJaccard.pairsAtOrAbove(texts, trainTexts, 0.8)) near.add(p.a());
            for (int i = 0; i < rows.size(); i++) {
                String id = split + ":" + rows.get(i).get("meta").get("line").asInt();
                if (trainNorm.contains(normalised(texts.get(i)))) expectedExact.add(id);
                else if (near.contains(i)) expectedNear.add(id);
            }
        }
        JsonNode leak = Prepared.json(out.resolve("data-report.json")).get("leakage");
        Set<String> foundExact = new HashSet<>(), foundNear = new HashSet<>();
        List<JsonNode> all = Prepared.jsonl(out.resolve("leakage.jsonl"));
        assertEquals(leak.get("exact").asInt() + leak.get("near").asInt(), all.size());
        for (JsonNode r : all) {
            String id = r.get("split").asText() + ":" + r.get("row").get("line").asInt();
            (r.get("kind").asText().equals("exact") ? foundExact : foundNear).add(id);
        }
        System.out.printf("LEAKAGE planted (dedup off): exact %d near %d found; oracle exact %d near %d%n",
                foundExact.size(), foundNear.size(), expectedExact.size(), expectedNear.size());
        assertTrue(expectedExact.size() >= 10 && expectedNear.size() >= 10, "the plant straddles splits");
        assertEquals(expectedExact, foundExact);
        assertEquals(expectedNear, foundNear);
        assertTrue(leak.get("failed").asBoolean());
        assertEquals(foundExact.size(), leak.get("exact").asInt());
    }

    @Test
    void theDefaultPipelineLeavesNoPairAtOrAboveTheThresholdAcrossSplits(@TempDir Path dir) throws Exception {
        Path in = planted(dir);
        Path out = dir.resolve("default");
        assertEquals(0, Main.execute("data", "prepare", "--input", in.toString(), "--out", out.toString(), "--fail-on-leakage", "--json"));
        assertNoCrossSplitNearDuplicates(out, 0.8);
    }

    /** All pairs between different splits, scored exactly: none may reach t. */
    static void assertNoCrossSplitNearDuplicates(Path out, double t) {
        List<String> train = Prepared.texts(Prepared.split(out, "train"));
        List<String> val = Prepared.texts(Prepared.split(out, "validation"));
        List<String> test = Prepared.texts(Prepared.split(out, "test"));
        List<ExactJaccard.Pair> pairs = new ArrayList<>();
        pairs.addAll(ExactJaccard.pairsAtOrAbove(val, train, t));
        pairs.addAll(ExactJaccard.pairsAtOrAbove(test, train, t));
        pairs.addAll(ExactJaccard.pairsAtOrAbove(test, val, t));
        System.out.printf("CROSS-SPLIT exact Jaccard >= %.2f: %d pairs (train %d, validation %d, test %d rows)%n",
                t, pairs.size(), train.size(), val.size(), test.size());
        assertEquals(List.of(), pairs);
    }
}
