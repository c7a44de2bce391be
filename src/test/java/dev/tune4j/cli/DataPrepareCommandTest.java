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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Test
    void inputWithoutAUsableRowIsAnErrorAndWritesNothing(@TempDir Path dir) throws Exception {
        Map<String, byte[]> inputs = new java.util.LinkedHashMap<>();
        inputs.put("empty.jsonl", new byte[0]);
        inputs.put("notes.parquet", "plain text, not Parquet".getBytes(StandardCharsets.UTF_8));
        inputs.put("random.jsonl", new byte[] {(byte) 0x9f, 0x12, (byte) 0xfe, '\n', 0x7f, (byte) 0xc3});
        byte[] gz = gzip("{\"text\": \"a row that will not survive\"}\n".repeat(50));
        inputs.put("cut.jsonl.gz", java.util.Arrays.copyOf(gz, gz.length / 2));
        Files.createDirectories(dir.resolve("emptydir"));
        for (String name : List.of("empty.jsonl", "notes.parquet", "random.jsonl", "cut.jsonl.gz", "emptydir")) {
            Path in = inputs.containsKey(name) ? Files.write(dir.resolve(name), inputs.get(name)) : dir.resolve(name);
            Object[] r = run("data", "prepare", "-i", in.toString(), "-o", dir.resolve("out").toString());
            String err = (String) r[2];
            assertEquals(1, r[0], name + ": " + err);
            assertTrue(err.startsWith("tune4j: no usable rows: ") && err.strip().lines().count() == 1, name + ": " + err);
            assertFalse(err.contains("SELECT") || err.contains("LINE 1"), "no SQL in the message: " + err);
            assertFalse(Files.exists(dir.resolve("out")), name + ": nothing written");
        }
    }

    @Test
    void anOutputFolderInsideTheInputIsNeverReadBack(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("rows.jsonl"), "{\"text\": \"the first row of text\"}\n{\"text\": \"another row entirely\"}\n");
        for (int run = 0; run < 2; run++) {
            Object[] r = run("data", "prepare", "-i", dir.toString(), "-o", dir.resolve("out").toString(), "--split", "1/0/0", "--json");
            assertEquals(0, r[0], (String) r[2]);
            assertEquals(2, Json.MAPPER.readTree((String) r[1]).get("rows_in").asInt(), "run " + run + " reads the input only");
        }
        Object[] into = run("data", "prepare", "-i", dir.toString(), "-o", dir.toString());
        assertEquals(1, into[0]);
        assertTrue(((String) into[2]).contains("is the input"), (String) into[2]);
        Object[] over = run("data", "prepare", "-i", dir.resolve("rows.jsonl").toString(), "-o", dir.toString());
        assertEquals(1, over[0]);
        assertTrue(((String) over[2]).contains("holds the input"), (String) over[2]);
    }

    @Test
    void numbersAsTextAndMixedLabelTypesAreWarnedAbout(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("mixed.jsonl");
        Files.writeString(in, "{\"text\": 12345, \"label\": 1}\n{\"text\": \"words at last\", \"label\": \"1\"}\n{\"text\": true, \"label\": \"spam\"}\n");
        Object[] r = run("data", "prepare", "-i", in.toString(), "-o", dir.resolve("out").toString(), "--split", "1/0/0");
        assertEquals(0, r[0], (String) r[2]);
        String err = (String) r[2];
        assertTrue(err.contains("tune4j: warning: field 'text' holds a number or boolean instead of text in 2 rows (e.g. " + in + ":1)"), err);
        assertTrue(err.contains("tune4j: warning: labels mix types: 1 rows have a number or boolean label"), err);
        JsonNode report = Json.MAPPER.readTree(dir.resolve("out/data-report.json").toFile());
        assertEquals(2, report.get("warnings").size(), report.get("warnings").toString());
    }

    @Test
    void deduplicationOptionsAreBoundedAndZeroIsNotAuto(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("t.txt"), "x\n");
        for (List<String> bad : List.of(List.of("--minhash-perm", "100000000"), List.of("--minhash-perm", "0"), List.of("--lsh-bands", "0"),
                List.of("--lsh-bands", "129"), List.of("--shingle", "word:0"), List.of("--min-chars", "-1"))) {
            List<String> args = new java.util.ArrayList<>(List.of("data", "prepare", "-i", in.toString(), "-o", dir.resolve("out").toString()));
            args.addAll(bad);
            Object[] r = run(args.toArray(new String[0]));
            assertEquals(1, r[0], bad.toString());
            assertTrue(((String) r[2]).startsWith("tune4j: " + bad.getFirst()), bad + ": " + r[2]);
        }
    }

    private static byte[] gzip(String text) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(bytes)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
