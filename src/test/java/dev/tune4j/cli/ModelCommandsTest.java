package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.model.SharedModels;
import dev.tune4j.model.bert.SentenceEncoder;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** `tune4j embed`, `inspect` and `export` as a user runs them, through Main.execute with captured output. */
class ModelCommandsTest {
    @TempDir
    static Path dir;
    /** all-MiniLM-L6-v2 exported once through the CLI; most commands here read it (mapping is fast, parsing ONNX is not). */
    static Path folder;

    record Run(int code, String out, String err) {
        List<JsonNode> jsonLines() throws Exception {
            List<JsonNode> rows = new ArrayList<>();
            for (String line : out.split("\n")) if (!line.isBlank()) rows.add(Json.MAPPER.readTree(line));
            return rows;
        }
    }

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @BeforeAll
    static void exportMiniLm() throws Exception {
        folder = dir.resolve("minilm");
        Run r = run("export", "--model", "builtin:all-minilm-l6-v2", "--out", folder.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = r.jsonLines().getFirst();
        assertEquals("F32", o.path("dtype").asText());
        assertEquals(22565376, o.path("parameters").asLong());
        assertEquals(List.of("model.safetensors", "config.json", "tokenizer.json"),
                Json.MAPPER.convertValue(o.path("files"), List.class));
    }

    @Test
    void embedPrintsOneJsonLinePerTextWithA384Vector() throws Exception {
        Run r = run("embed", "--model", "builtin:all-minilm-l6-v2", "--normalize", "--json", "--text", "Hello world!", "Java embeddings ☕");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> rows = r.jsonLines();
        assertEquals(2, rows.size());
        assertEquals("Java embeddings ☕", rows.get(1).path("text").asText());
        SentenceEncoder api = SentenceEncoder.of(SharedModels.miniLm(), SentenceEncoder.Pooling.MEAN, true, 0);
        float[][] expected = api.encode(List.of("Hello world!", "Java embeddings ☕"), 32);
        for (int i = 0; i < 2; i++) {
            assertEquals(i, rows.get(i).path("index").asInt());
            JsonNode e = rows.get(i).path("embedding");
            assertEquals(384, e.size());
            double norm = 0;
            for (int k = 0; k < 384; k++) {
                assertEquals(expected[i][k], (float) e.get(k).asDouble(), 0f, "the CLI prints exactly what the API computes");
                norm += e.get(k).asDouble() * e.get(k).asDouble();
            }
            assertEquals(1.0, norm, 1e-5);
        }
        assertTrue(r.err().contains("2 texts") && r.err().contains("dimension 384"), r.err());
    }

    @Test
    void embedReadsJsonLinesKeepingOrderAndIds() throws Exception {
        Path input = dir.resolve("rows.jsonl");
        Files.writeString(input, "{\"id\": \"a\", \"text\": \"first row\"}\n\n{\"text\": \"second, longer row of text\", \"label\": 1}\n{\"id\": 7, \"text\": \"x\"}\n");
        Run r = run("embed", "--model", folder.toString(), "--input", input.toString(), "--json", "--batch-size", "2", "--pooling", "cls");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> rows = r.jsonLines();
        assertEquals(3, rows.size());
        assertEquals("a", rows.get(0).path("id").asText());
        assertEquals(1, rows.get(0).path("line").asInt());
        assertTrue(rows.get(1).path("id").isMissingNode());
        assertEquals(3, rows.get(1).path("line").asInt(), "line numbers count the blank line");
        assertEquals(7, rows.get(2).path("id").asInt());
        for (JsonNode row : rows) assertEquals(384, row.path("embedding").size());

        Run plain = run("embed", "--model", folder.toString(), "--input", input.toString(), "--batch-size", "2", "--pooling", "cls");
        String[] lines = plain.out().strip().split("\n");
        assertEquals(3, lines.length);
        assertEquals(384, lines[2].split(" ").length);
        assertEquals(rows.get(2).path("embedding").get(0).floatValue(), Float.parseFloat(lines[2].split(" ")[0]));
    }

    @Test
    void badInputRowsAreNamedByLine() throws Exception {
        Path broken = dir.resolve("broken.jsonl");
        Files.writeString(broken, "{\"text\": \"ok\"}\n{\"text\": \"ok too\"}\n{\"text\": oops}\n");
        Run r = run("embed", "--model", folder.toString(), "--input", broken.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(broken + ":3:") && r.err().contains("not valid JSON"), r.err());

        Path noText = dir.resolve("notext.jsonl");
        Files.writeString(noText, "{\"body\": \"no text here\"}\n");
        r = run("embed", "--model", folder.toString(), "--input", noText.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(noText + ":1:") && r.err().contains("no \"text\" field"), r.err());

        r = run("embed", "--model", folder.toString(), "--text", "hi", "--pooling", "max");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown pooling 'max'"), r.err());
    }

    @Test
    void inspectDescribesTheModel() throws Exception {
        for (String model : List.of("builtin:all-minilm-l6-v2", folder.toString())) {
            Run r = run("inspect", model, "--json");
            assertEquals(0, r.code(), r.err());
            JsonNode o = r.jsonLines().getFirst();
            assertEquals("BertModel", o.path("architecture").asText());
            assertEquals("bert", o.path("family").asText());
            assertEquals(22565376, o.path("parameters").asLong());
            assertEquals(101, o.path("dtypes").path("F32").asInt());
            assertEquals(30522, o.path("vocab_size").asInt());
            assertEquals(512, o.path("context_length").asInt());
            assertEquals(384, o.path("hidden_size").asInt());
            assertEquals(6, o.path("layers").asInt());
            assertEquals(12, o.path("heads").asInt());
            assertEquals(12, o.path("kv_heads").asInt());
            assertFalse(o.path("tied_embeddings").asBoolean());
            assertEquals(128, o.path("tokenizer_max_length").asInt());
        }
        Run text = run("inspect", folder.toString());
        assertTrue(text.out().contains("parameters") && text.out().contains("22565376"), text.out());
    }

    @Test
    void exportRoundTripsThroughTheCliInBf16() throws Exception {
        Path bf16 = dir.resolve("minilm-bf16");
        Run r = run("export", "--model", folder.toString(), "--out", bf16.toString(), "--dtype", "bf16", "--max-shard-size", "30MB");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(bf16.resolve("model.safetensors.index.json")), "45 MB of BF16 over 30 MB shards");
        Run inspect = run("inspect", bf16.toString(), "--json");
        assertEquals(101, inspect.jsonLines().getFirst().path("dtypes").path("BF16").asInt());
        Run embed = run("embed", "--model", bf16.toString(), "--json", "--text", "round trip");
        assertEquals(384, embed.jsonLines().getFirst().path("embedding").size());

        Run refused = run("export", "--model", folder.toString(), "--out", folder.toString());
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("refusing to export into"), refused.err());
        Run badDtype = run("export", "--model", folder.toString(), "--out", dir.resolve("x").toString(), "--dtype", "int8");
        assertEquals(1, badDtype.code());
        assertTrue(badDtype.err().contains("unknown --dtype 'int8'"), badDtype.err());
    }

    @Test
    void shardSizesReadLikeHuggingFace() {
        assertEquals(2_000_000_000L, ExportCommand.parseSize("2GB"));
        assertEquals(500_000_000L, ExportCommand.parseSize("500mb"));
        assertEquals(3L << 29, ExportCommand.parseSize("1.5GiB"));
        assertEquals(1234, ExportCommand.parseSize("1234"));
        assertThrows(IllegalArgumentException.class, () -> ExportCommand.parseSize("big"));
    }
}
