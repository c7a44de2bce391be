package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.HfTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTrainCommandTest {

    @Test
    void trainsOnJsonlChatAndPlainTextAndWritesALoadableTokenizer(@TempDir Path dir) throws Exception {
        StringBuilder rows = new StringBuilder(), chats = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            rows.append(Json.line(Map.of("text", "the whale number " + i + " swam past the ship\nand the sailors sang"))).append('\n');
            chats.append("{\"messages\": [{\"role\": \"user\", \"content\": \"where is the whale?\"}, {\"role\": \"assistant\", \"content\": \"past the ship\"}]}\n");
        }
        Path jsonl = Files.writeString(dir.resolve("rows.jsonl"), rows), chat = Files.writeString(dir.resolve("chat.jsonl"), chats);
        Path text = Files.writeString(dir.resolve("book.txt"), "Call me Ishmael.\n\nSome years ago, never mind how long.\n");
        Path out = dir.resolve("tok");
        Object[] r = DataPrepareCommandTest.run("tokenizer", "train", "--data", jsonl.toString(), text.toString(), "--vocab-size", "280",
                "--out", out.toString(), "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode j = Json.MAPPER.readTree(((String) r[1]).strip());
        assertEquals(280, j.get("vocab_size").asInt());
        assertEquals(51, j.get("texts").asInt(), "50 rows and one text file");
        assertTrue(j.get("chars_per_token").asDouble() > 1.5, j.toString());
        try (HfTokenizer t = HfTokenizer.load(out)) {
            assertEquals(280, t.vocabSize());
            assertEquals("the whale swam\npast", t.decode(t.encode("the whale swam\npast").ids(), false));
        }

        Object[] c = DataPrepareCommandTest.run("tokenizer", "train", "--data", chat.toString(), "--vocab-size", "270", "--out", dir.resolve("chat").toString(), "--json");
        assertEquals(0, c[0], (String) c[2]);
        assertEquals(100, Json.MAPPER.readTree(((String) c[1]).strip()).get("texts").asInt(), "each message is a text");
    }

    @Test
    void badSettingsAndMissingFilesFailWithOneLine(@TempDir Path dir) throws Exception {
        Path data = Files.writeString(dir.resolve("t.txt"), "some text");
        Object[] small = DataPrepareCommandTest.run("tokenizer", "train", "--data", data.toString(), "--vocab-size", "100", "--out", dir.resolve("o").toString());
        assertEquals(1, small[0]);
        assertTrue(((String) small[2]).contains("--vocab-size") && ((String) small[2]).contains("259"), (String) small[2]);
        assertEquals(1, ((String) small[2]).strip().lines().count());
        Object[] missing = DataPrepareCommandTest.run("tokenizer", "train", "--data", dir.resolve("absent.txt").toString(), "--vocab-size", "300",
                "--out", dir.resolve("o").toString());
        assertEquals(1, missing[0]);
        assertTrue(((String) missing[2]).contains("absent.txt"), (String) missing[2]);
        assertTrue(Files.notExists(dir.resolve("o/tokenizer.json")));
    }
}
