package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataPrepareCommandTest {

    /** Runs the CLI, returning {exit code, stdout, stderr}. */
    static Object[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void jsonSummaryHasTheCountsPerRule(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.csv");
        Files.writeString(in, "body,category,src\n\"Hello, world\",a,s1\n\"HELLO,   World\",a,s2\n\"Bonjour le monde\",b,s1\n,a,s3\n");
        Object[] r = run("data", "prepare", "--input", in.toString(), "--out", dir.resolve("out").toString(),
                "--field", "text=body", "--split", "rest/1/0", "--split-key", "src", "--json");
        assertEquals(0, r[0], (String) r[2]);
        String[] lines = ((String) r[1]).strip().split("\n");
        assertEquals(1, lines.length, "one JSON object");
        JsonNode j = Json.MAPPER.readTree(lines[0]);
        assertEquals("classification", j.get("schema").asText());
        assertEquals(4, j.get("rows_in").asInt());
        assertEquals(1, j.get("counts").get("exact_duplicates").asInt());
        assertEquals(1, j.get("counts").get("empty").asInt());
        assertTrue(j.get("counts").has("near_duplicates"));
        assertEquals(2, j.get("rows_out").asInt());
        // the two s1 rows share a split
        JsonNode manifest = Json.MAPPER.readTree(dir.resolve("out/dataset.json").toFile());
        int train = manifest.get("splits").get("train").get("rows").asInt();
        assertTrue(train == 2 || train == 0);
    }

    @Test
    void humanSummaryNamesTheRulesAndTheReport(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("t.txt");
        Files.writeString(in, "first line of text\nsecond line of text\nfirst line of text\n");
        Object[] r = run("data", "prepare", "-i", in.toString(), "-o", dir.resolve("out").toString(), "--split", "1/0/0");
        assertEquals(0, r[0], (String) r[2]);
        String out = (String) r[1];
        assertTrue(out.contains("3 rows in, 2 rows out"), out);
        assertTrue(out.contains("exact_duplicates"), out);
        assertTrue(out.contains("data-report.html"), out);
    }

    @Test
    void badOptionsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("t.txt");
        Files.writeString(in, "x\n");
        for (List<String> bad : List.of(
                List.of("--split", "0.5/0.1/0.1"),
                List.of("--disable", "spellcheck"),
                List.of("--near-threshold", "1.5"),
                List.of("--schema", "tabular"),
                List.of("--shingle", "word"),
                List.of("--tokenizer", dir.resolve("nope.json").toString()))) {
            List<String> args = new java.util.ArrayList<>(List.of("data", "prepare", "-i", in.toString(), "-o", dir.resolve("out").toString()));
            args.addAll(bad);
            Object[] r = run(args.toArray(new String[0]));
            assertEquals(1, r[0], bad.toString());
            assertTrue(((String) r[2]).startsWith("tune4j: "), bad + ": " + r[2]);
        }
        Object[] missing = run("data", "prepare", "-i", dir.resolve("absent.jsonl").toString(), "-o", dir.resolve("out").toString());
        assertEquals(1, missing[0]);
        assertTrue(((String) missing[2]).contains("input not found"), (String) missing[2]);
    }
}
