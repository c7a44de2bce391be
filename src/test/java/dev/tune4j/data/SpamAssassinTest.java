package dev.tune4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real pipeline over the SpamAssassin corpus (6,046 raw e-mails; skipped with a message when
 * ../shared/data is absent): the e-mail rule strips headers and MIME, exact and near duplicates
 * are found (mostly inside spam-2), every near duplicate is verified against the exact oracle,
 * and no pair of rows in different splits reaches the 0.8 threshold.
 */
class SpamAssassinTest {

    @Test
    void spamAssassinDuplicatesAreFoundAndNoneCrossSplits(@TempDir Path dir) throws Exception {
        Path data = SharedData.require("spam-assassin.jsonl");
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(data);
        cfg.out = dir.resolve("spam");
        cfg.failOnLeakage = true;
        PrepareResult res = DataPipeline.run(cfg);
        PreparedWriter.write(res, cfg);

        System.out.println("SPAMASSASSIN rule                    rows_in  rows_out  affected");
        for (PrepareResult.RuleStat s : res.rules) {
            System.out.printf("SPAMASSASSIN %-22s %8d %9d %9d %s%n", s.rule(), s.rowsIn(), s.rowsOut(), s.affected(), s.kind().equals("change") ? "changed" : "dropped");
        }
        System.out.printf("SPAMASSASSIN rows_in=%d rows_out=%d exact_duplicates=%d near_duplicates=%d conflicting_labels=%d splits=%d/%d/%d seconds=%s%n",
                res.rowsIn, res.rowsOut(), res.count("exact_duplicates"), res.count("near_duplicates"), res.count("conflicting_labels"),
                res.splitSize(0), res.splitSize(1), res.splitSize(2), res.seconds);

        assertEquals(6046, res.rowsIn);
        assertEquals(6046, res.count("mail"), "every row is a raw e-mail");
        // The raw e-mails all differ (headers); once they are stripped, bodies repeat.
        Map<String, Integer> raw = new HashMap<>();
        for (String line : Files.readAllLines(data)) raw.merge(Json.MAPPER.readTree(line).get("text").asText(), 1, Integer::sum);
        assertEquals(6046, raw.size(), "no raw exact duplicates");
        long exact = res.count("exact_duplicates"), near = res.count("near_duplicates");
        assertTrue(exact >= 180 && exact <= 400, "exact duplicates: " + exact);
        assertTrue(near >= 100, "near duplicates: " + near);

        // where the exact duplicates are, and how many repeat byte for byte once only headers are gone
        Map<Long, String> body = new HashMap<>();
        Map<Long, String> group = new HashMap<>();
        long line = 0;
        for (String l : Files.readAllLines(data)) {
            JsonNode r = Json.MAPPER.readTree(l);
            String t = r.get("text").asText();
            int cut = t.indexOf("\n\n");
            body.put(++line, String.join(" ", (cut < 0 ? "" : t.substring(cut + 2)).trim().split("\\s+")));
            group.put(line, r.get("group").asText());
        }
        Map<String, Integer> byGroup = new TreeMap<>();
        int sameBody = 0;
        for (Reject r : res.rejects) {
            if (!r.reason().equals("exact_duplicates")) continue;
            byGroup.merge(group.get(r.origin().line()), 1, Integer::sum);
            if (body.get(r.origin().line()).equals(body.get(r.keptOrigin().line()))) sameBody++;
        }
        System.out.printf("SPAMASSASSIN exact duplicates by group %s; %d have the same body once headers are stripped, %d more only after MIME/HTML decoding%n",
                byGroup, sameBody, exact - sameBody);
        assertTrue(byGroup.get("spam-2") * 2 > exact, "mostly inside spam-2");
        assertTrue(sameBody >= 150 && sameBody <= 250, "about 200 bodies repeat exactly: " + sameBody);

        // every near duplicate is at or above 0.8 against the row kept for it (exact oracle)
        Map<Long, String> keptText = new HashMap<>();
        for (Example e : res.kept) keptText.put(e.origin.line(), e.texts[0]);
        int checked = 0;
        for (Reject r : res.rejects) {
            if (!r.reason().equals("near_duplicates")) continue;
            String dropped = ((JsonNode) r.content()).get("text").asText();
            double j = ExactJaccard.jaccard(ExactJaccard.shingles(dropped), ExactJaccard.shingles(keptText.get(r.keptOrigin().line())));
            assertTrue(j >= 0.8, "near duplicate " + r.origin() + " at " + j);
            checked++;
        }
        assertEquals(near, checked);

        assertTrue(res.leaks.isEmpty(), "leakage check");
        LeakageCheckTest.assertNoCrossSplitNearDuplicates(cfg.out, 0.8);
    }
}
