package dev.tune4j.data.collate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.Example;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Schema;
import dev.tune4j.data.SchemaMapping;
import dev.tune4j.data.collate.ChatRows.LossMode;
import dev.tune4j.data.collate.ChatRows.Row;
import dev.tune4j.data.input.RawRow;
import dev.tune4j.tokenizer.ChatMessage;
import dev.tune4j.tokenizer.ChatTemplate;
import dev.tune4j.tokenizer.HfTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loss masks over a real (tiny) ChatML tokenizer: src/test/resources/chat-tokenizer, where
 * {@code <|im_end|>} is both eos and pad, with SmolLM2's chat template.
 */
class ChatRowsTest {
    static final List<ChatMessage> TWO_TURNS = List.of(
            new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Hi"),
            new ChatMessage("assistant", "Hello there"),
            new ChatMessage("user", "Bye"),
            new ChatMessage("assistant", "Goodbye!"));
    static Path folder;
    static HfTokenizer tokenizer;
    static ChatTemplate template;

    @BeforeAll
    static void load() throws Exception {
        folder = Path.of(ChatRowsTest.class.getResource("/chat-tokenizer").toURI());
        tokenizer = HfTokenizer.load(folder);
        template = ChatTemplate.of(folder);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** The row as "token" for tokens without loss and "[token]" for tokens with loss, newlines shown as \n. */
    static String show(Row row) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < row.ids().length; i++) {
            String t = tokenizer.idToToken(row.ids()[i]).replace("\n", "\\n");
            parts.add(row.lossMask()[i] == 1 ? "[" + t + "]" : t);
        }
        return String.join(" ", parts);
    }

    @Test
    void exactlyTheAnswersAndTheirEndOfTurnTokensCarryLossEvenWhenPadIsEos() {
        assertEquals(tokenizer.specialTokens().eos(), tokenizer.specialTokens().pad(), "this fixture pads with eos");
        Row row = ChatRows.encode(tokenizer, template, TWO_TURNS, LossMode.ALL_ASSISTANT, 1024);
        String shown = show(row);
        System.out.println("all_assistant: " + shown);
        assertEquals("<|im_start|> system \\n Be   brief . <|im_end|> \\n <|im_start|> user \\n Hi <|im_end|> \\n "
                + "<|im_start|> assistant \\n [Hello] [ ] [there] [<|im_end|>] \\n <|im_start|> user \\n Bye <|im_end|> \\n "
                + "<|im_start|> assistant \\n [Goodbye] [!] [<|im_end|>] \\n", shown);
        assertEquals(7, row.lossTokens());
        assertFalse(row.truncated());

        // The same id (<|im_end|> = eos = pad) is trained after answers and not after prompts: masking is by position.
        int eos = tokenizer.specialTokens().eos();
        int trained = 0, untrained = 0;
        for (int i = 0; i < row.ids().length; i++) {
            if (row.ids()[i] != eos) continue;
            if (row.lossMask()[i] == 1) trained++; else untrained++;
        }
        assertEquals(2, trained);
        assertEquals(3, untrained);
        int[] labels = row.labels(-100);
        int lastEos = lastIndexOf(row.ids(), eos);
        assertEquals(eos, labels[lastEos - 1], "the step before the final <|im_end|> is taught to emit it");
        assertEquals(-100, labels[row.ids().length - 1]);
    }

    @Test
    void lastTurnTrainsOnlyTheFinalAnswer() {
        Row row = ChatRows.encode(tokenizer, template, TWO_TURNS, LossMode.LAST_TURN, 1024);
        System.out.println("last_turn: " + show(row));
        assertTrue(show(row).endsWith("<|im_start|> assistant \\n Hello   there <|im_end|> \\n <|im_start|> user \\n Bye <|im_end|> \\n "
                + "<|im_start|> assistant \\n [Goodbye] [!] [<|im_end|>] \\n"), show(row));
        assertEquals(3, row.lossTokens());
    }

    @Test
    void everythingTrainsEveryToken() {
        Row row = ChatRows.encode(tokenizer, template, TWO_TURNS, LossMode.EVERYTHING, 1024);
        assertEquals(row.ids().length, row.lossTokens());
    }

    @Test
    void labelsAreTheNextTokenWhereItCarriesLoss() {
        Row row = new Row(new int[]{5, 6, 7, 8}, new int[]{0, 0, 1, 1}, false);
        assertArrayEquals(new int[]{-1, 7, 8, -1}, row.labels(-1));
    }

    @Test
    void truncationCutsFromTheRightAndRowsLeftWithoutLossCanBeDropped() {
        Row full = ChatRows.encode(tokenizer, template, TWO_TURNS, LossMode.LAST_TURN, 1024);
        Row cut = ChatRows.encode(tokenizer, template, TWO_TURNS, LossMode.LAST_TURN, full.ids().length - 2);
        assertTrue(cut.truncated());
        assertArrayEquals(java.util.Arrays.copyOf(full.ids(), full.ids().length - 2), cut.ids());
        assertEquals(2, cut.lossTokens(), "Goodbye and ! survive, the final <|im_end|> and newline are cut");
        Row noAnswer = ChatRows.encode(tokenizer, template, TWO_TURNS, LossMode.LAST_TURN, 20);
        assertTrue(noAnswer.truncated());
        assertFalse(noAnswer.hasLoss(), "every loss token was cut: the row is dropped");
        Row noAssistant = ChatRows.encode(tokenizer, template, List.of(new ChatMessage("user", "Hi")), LossMode.ALL_ASSISTANT, 1024);
        assertFalse(noAssistant.hasLoss());
        assertThrows(IllegalArgumentException.class, () -> ChatRows.encode(tokenizer, template, TWO_TURNS, LossMode.ALL_ASSISTANT, 0));
    }

    @Test
    void aTokenStraddlingTheStartOfAnAnswerCarriesLoss(@TempDir Path dir) throws Exception {
        // A pre-tokenizer that glues a leading space to the word: the template's space and the answer's
        // first word become one token, " Hello", which the model must produce after "assistant:".
        String json = Files.readString(folder.resolve("tokenizer.json"))
                .replace("\"Regex\": \"\\\\w+|[^\\\\w\\\\s]|\\\\s\"", "\"Regex\": \" ?\\\\w+|[^\\\\w\\\\s]|\\\\s\"")
                .replace("\"Hello\": ", "\" Hello\": ").replace("\"Hi\": ", "\" Hi\": ");
        Files.writeString(dir.resolve("tokenizer.json"), json);
        try (HfTokenizer spaced = HfTokenizer.load(dir.resolve("tokenizer.json"))) {
            ChatTemplate colon = ChatTemplate.fromSource("colon", "{% for m in messages %}{{ m.role + ': ' + m.content }}"
                    + "{% if m.role == 'assistant' %}{{ eos_token }}{% endif %}{{ '\\n' }}{% endfor %}", null, "<|im_end|>");
            Row row = ChatRows.encode(spaced, colon, List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")), LossMode.ALL_ASSISTANT, 64);
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < row.ids().length; i++) tokens.add((row.lossMask()[i] == 1 ? "+" : "") + spaced.idToToken(row.ids()[i]).replace("\n", "\\n"));
            assertEquals(List.of("user", ":", " Hi", "\\n", "assistant", ":", "+ Hello", "+<|im_end|>", "\\n"), tokens);
        }
    }

    @Test
    void lossModesHaveTheirRecipeNames() {
        assertEquals(LossMode.ALL_ASSISTANT, LossMode.parse("all_assistant"));
        assertEquals(LossMode.LAST_TURN, LossMode.parse("last_turn"));
        assertEquals(LossMode.EVERYTHING, LossMode.parse("all"));
        var e = assertThrows(IllegalArgumentException.class, () -> LossMode.parse("completion_only"));
        assertEquals("unknown loss mode 'completion_only' (expected all_assistant, last_turn or all)", e.getMessage());
    }

    static Example example(Schema schema, String[] roles, String... texts) {
        return new Example(new Origin("train.jsonl", 3), schema, roles, texts, null, Map.of(), null);
    }

    @Test
    void anInstructionRowIsAUserMessageAndTheAssistantsOutput() {
        assertEquals(List.of(new ChatMessage("user", "Translate to French.\n\ncheese"), new ChatMessage("assistant", "fromage")),
                ChatRows.messages(example(Schema.INSTRUCTION, null, "Translate to French.", "cheese", "fromage"), null));
        assertEquals(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Name a colour."), new ChatMessage("assistant", "Red")),
                ChatRows.messages(example(Schema.INSTRUCTION, null, "Name a colour.", "", "Red"), "Be brief."));
    }

    @Test
    void aChatRowKeepsItsOwnSystemMessageOverTheDefault() throws Exception {
        ObjectNode fields = (ObjectNode) new ObjectMapper().readTree("{\"conversations\": [{\"from\": \"system\", \"value\": \"Be nice.\"},"
                + " {\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"hello\"}]}");
        SchemaMapping shareGpt = new SchemaMapping(Schema.CHAT, Map.of("messages", "conversations"), null);
        Example e = (Example) shareGpt.convert(new RawRow(new Origin("chat.jsonl", 1), fields));
        List<ChatMessage> expected = List.of(new ChatMessage("system", "Be nice."), new ChatMessage("user", "hi"), new ChatMessage("assistant", "hello"));
        assertEquals(expected, ChatRows.messages(e, "Be brief."));
        assertEquals(expected.subList(1, 3), ChatRows.messages(example(Schema.CHAT, new String[]{"user", "assistant"}, "hi", "hello"), null));
        assertEquals("system", ChatRows.messages(example(Schema.CHAT, new String[]{"user", "assistant"}, "hi", "hello"), "Be brief.").getFirst().role());
    }

    @Test
    void otherSchemasAreNotConversations() {
        var e = assertThrows(IllegalArgumentException.class, () -> ChatRows.messages(example(Schema.TEXT, null, "some text"), null));
        assertEquals("train.jsonl:3: a text row is not a conversation (instruction tuning takes instruction or chat rows; plain text trains with task: causal_lm)", e.getMessage());
    }

    static int lastIndexOf(int[] a, int v) {
        for (int i = a.length - 1; i >= 0; i--) if (a[i] == v) return i;
        return -1;
    }
}
