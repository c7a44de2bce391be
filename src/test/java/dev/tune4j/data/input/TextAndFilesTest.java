package dev.tune4j.data.input;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static dev.tune4j.data.input.Rows.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextAndFilesTest {

    @Test
    void plainTextIsCutByLineParagraphOrFile() throws IOException {
        String text = "first line\nsecond line\n\n\nnext paragraph\n";
        Rows lines = new Rows();
        TextFormat.read(bytes(text), "t.txt", TextUnit.LINE, lines);
        assertEquals(3, lines.rows.size());
        assertEquals(5, lines.line(2));
        Rows paras = new Rows();
        TextFormat.read(bytes(text), "t.txt", TextUnit.PARAGRAPH, paras);
        assertEquals(2, paras.rows.size());
        assertEquals("first line\nsecond line", paras.text(0, "text"));
        assertEquals(5, paras.line(1));
        Rows file = new Rows();
        TextFormat.read(bytes(text), "t.txt", TextUnit.FILE, file);
        assertEquals(1, file.rows.size());
        assertEquals("first line\nsecond line\n\n\nnext paragraph", file.text(0, "text"));
    }

    @Test
    void parquetIsReadThroughDuckDbWithNestedChatColumns(@TempDir Path dir) throws Exception {
        Path pq = dir.resolve("chat.parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT 'q' || i AS id, [{'role': 'user', 'content': 'question ' || i}, {'role': 'assistant', 'content': 'answer ' || i}] AS messages "
                    + "FROM range(3) t(i) ORDER BY i) TO '" + pq + "' (FORMAT parquet)");
        }
        Rows r = new Rows();
        assertNull(Inputs.read(new Inputs.InputFile(pq, "chat.parquet", InputFormat.PARQUET, null), TextUnit.LINE, r));
        assertEquals(3, r.rows.size());
        assertEquals("answer 2", r.rows.get(2).fields().get("messages").get(1).get("content").asText());
        assertEquals(3, r.line(2), "a Parquet row's line is its row number");
    }

    @Test
    void aFileThatIsNotParquetIsOneUnreadableFileReject(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.parquet");
        Files.writeString(bad, "not parquet at all");
        Rows r = new Rows();
        String error = Inputs.read(new Inputs.InputFile(bad, "bad.parquet", InputFormat.PARQUET, null), TextUnit.LINE, r);
        assertTrue(error != null && !error.isBlank());
        assertEquals("unreadable_file", r.rejects.get(0).reason());
    }

    @Test
    void foldersAreWalkedInOrderSkippingHiddenAndUnknownFiles(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve("b.txt"), "b\n");
        Files.writeString(dir.resolve("a.jsonl"), "{\"text\":\"a\"}\n");
        Files.writeString(dir.resolve("sub/c.csv"), "text\nc\n");
        Files.writeString(dir.resolve(".hidden.txt"), "h\n");
        Files.writeString(dir.resolve(".git/x.txt"), "h\n");
        Files.writeString(dir.resolve("image.png"), "\u0089PNG");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(dir.resolve("d.jsonl.gz")))) {
            o.write("{\"text\":\"gz\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        List<Inputs.InputFile> files = Inputs.expand(List.of(dir), null);
        assertEquals(List.of("a.jsonl", "b.txt", "d.jsonl.gz", "image.png", "c.csv"),
                files.stream().map(f -> f.path().getFileName().toString()).toList());
        assertEquals("unknown extension", files.get(3).skipped());
        Rows r = new Rows();
        for (Inputs.InputFile f : files) if (f.skipped() == null) Inputs.read(f, TextUnit.LINE, r);
        assertEquals(List.of("a", "b", "gz", "c"), r.rows.stream().map(x -> x.fields().get("text").asText()).toList());
    }
}
