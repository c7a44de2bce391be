package dev.tune4j.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.tokenizer.Tokenizer.Padding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class HfTokenizerTest {
    static final String MINILM = "all-minilm-l6-v2-tokenizer.json";
    static HfTokenizer miniLm;

    @BeforeAll
    static void load() throws Exception {
        miniLm = HfTokenizer.fromResource(MINILM);
    }

    @AfterAll
    static void close() {
        miniLm.close();
    }

    @Test
    void miniLmEncodesHelloWorldToTheBertIds() {
        Encoding e = miniLm.encode("Hello world!");
        assertArrayEquals(new int[]{101, 7592, 2088, 999, 102}, e.ids());
        assertArrayEquals(new int[]{1, 1, 1, 1, 1}, e.attentionMask());
        assertArrayEquals(new int[]{0, 0, 0, 0, 0}, e.typeIds());
        assertArrayEquals(new int[]{1, 0, 0, 0, 1}, e.specialTokensMask());
        assertArrayEquals(new String[]{"[CLS]", "hello", "world", "!", "[SEP]"}, e.tokens());
        assertArrayEquals(new int[]{0, 5}, e.offsets()[1]);
        assertArrayEquals(new int[]{6, 11}, e.offsets()[2]);
        assertArrayEquals(new int[]{11, 12}, e.offsets()[3]);
    }

    @Test
    void withoutSpecialTokensTheTemplateAddsNone() {
        Encoding e = miniLm.encode("Hello world!", 128, false);
        assertArrayEquals(new int[]{7592, 2088, 999}, e.ids());
        assertArrayEquals(new int[]{0, 5}, e.offsets()[0]);
    }

    @Test
    void offsetsAreStringIndicesAfterCharactersOutsideTheBasicPlane() {
        String text = "x\uD83D\uDE00 b\u00e9 [SEP] y";     // the emoji takes two UTF-16 units, one code point
        Encoding e = miniLm.encode(text, 128, false);
        assertArrayEquals(new String[]{"[UNK]", "be", "[SEP]", "y"}, e.tokens());
        assertEquals("x\uD83D\uDE00", text.substring(e.offsets()[0][0], e.offsets()[0][1]));
        assertEquals("b\u00e9", text.substring(e.offsets()[1][0], e.offsets()[1][1]));
        assertEquals("[SEP]", text.substring(e.offsets()[2][0], e.offsets()[2][1]));
        assertEquals("y", text.substring(e.offsets()[3][0], e.offsets()[3][1]));
    }

    @Test
    void miniLmSpecialTokensVocabularyAndMaxLengthAreFound() {
        assertEquals(new SpecialTokens(0, -1, -1, 100, 101, 102, 103), miniLm.specialTokens());
        assertEquals(30522, miniLm.vocabSize());
        assertEquals(128, miniLm.maxLength());   // the tokenizer file's truncation setting
        assertEquals(101, miniLm.tokenToId("[CLS]"));
        assertEquals(-1, miniLm.tokenToId("not-a-token-at-all"));
        assertEquals("hello", miniLm.idToToken(7592));
        assertThrows(IllegalStateException.class, () -> miniLm.specialTokens().require("bos"));
    }

    @Test
    void batchIsPaddedWithThePadIdAndMasked() {
        List<String> texts = List.of("Hello world!", "Hi", "a somewhat longer sentence than the others");
        BatchEncoding b = miniLm.encodeBatch(texts, Padding.LONGEST, 128);
        int longest = miniLm.encode(texts.get(2)).length();
        assertEquals(3, b.size());
        for (int i = 0; i < 3; i++) {
            Encoding single = miniLm.encode(texts.get(i));
            assertEquals(longest, b.ids()[i].length);
            assertEquals(single.length(), b.lengths()[i]);
            assertArrayEquals(single.ids(), Arrays.copyOf(b.ids()[i], single.length()));
            for (int j = 0; j < longest; j++) {
                assertEquals(j < single.length() ? 1 : 0, b.attentionMask()[i][j]);
                if (j >= single.length()) assertEquals(0, b.ids()[i][j]);
            }
        }
        assertArrayEquals(new int[]{101, 7632, 102, 0, 0}, Arrays.copyOf(b.ids()[1], 5));

        BatchEncoding ragged = miniLm.encodeBatch(texts, Padding.NONE, 128);
        assertEquals(3, ragged.ids()[1].length);
        BatchEncoding fixed = miniLm.encodeBatch(texts, Padding.MAX_LENGTH, 16);
        for (int[] row : fixed.ids()) assertEquals(16, row.length);
    }

    @Test
    void truncationKeepsClsAndSepAndCutsTheText() {
        String text = "word ".repeat(300);
        Encoding full = miniLm.encode(text, Integer.MAX_VALUE);
        assertEquals(302, full.length());
        Encoding e = miniLm.encode(text);
        assertEquals(128, e.length());
        assertEquals(101, e.ids()[0]);
        assertEquals(102, e.ids()[127]);

        Encoding six = miniLm.encode("one two three four five six seven", 6);
        Encoding all = miniLm.encode("one two three four five six seven", 64);
        assertArrayEquals(new int[]{101, all.ids()[1], all.ids()[2], all.ids()[3], all.ids()[4], 102}, six.ids());
        assertArrayEquals(new int[]{1, 0, 0, 0, 0, 1}, six.specialTokensMask());

        BatchEncoding b = miniLm.encodeBatch(List.of(text, "short"), Padding.LONGEST, 10);
        assertEquals(10, b.ids()[0].length);
        assertEquals(102, b.ids()[0][9]);
        assertThrows(IllegalArgumentException.class, () -> miniLm.encode(text, 1));
    }

    @Test
    void decodeRoundTrips() {
        int[] ids = miniLm.encode("Hello world!").ids();
        assertEquals("hello world!", miniLm.decode(ids, true));
        assertEquals("[CLS] hello world! [SEP]", miniLm.decode(ids, false));
        String sentence = "the quick brown fox jumps over the lazy dog.";
        assertEquals(sentence, miniLm.decode(miniLm.encode(sentence).ids(), true));
    }

    @Test
    void loadsFromAFolderWithConfigFiles(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode tok;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(MINILM)) {
            tok = (ObjectNode) json.readTree(in);
        }
        tok.putNull("truncation");
        tok.putNull("padding");
        json.writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"model_max_length\": 256, \"cls_token\": {\"content\": \"[CLS]\"}, \"eos_token\": \"[SEP]\"}");
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"bos_token\": \"[CLS]\", \"eos_token\": \"[MASK]\"}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertEquals(256, t.maxLength());
            // tokenizer_config wins over special_tokens_map; structure and names fill the rest
            assertEquals(new SpecialTokens(0, 101, 102, 100, 101, 102, 103), t.specialTokens());
            assertArrayEquals(new int[]{101, 7592, 2088, 999, 102}, t.encode("Hello world!").ids());
        }
        try (HfTokenizer t = HfTokenizer.load(dir.resolve("tokenizer.json"))) {
            assertEquals(256, t.maxLength());
        }
        assertThrows(NoSuchFileException.class, () -> HfTokenizer.load(dir.resolve("missing")));
        Files.writeString(dir.resolve("bad.json"), "{\"not\": \"a tokenizer\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(dir.resolve("bad.json")));
        assertTrue(e.getMessage().contains("bad.json"), e.getMessage());
    }

    /** A hand-written word-level tokenizer with a "<s> $A </s>" template and no pad token (GPT/Llama-like). */
    @Test
    void templateTokensBecomeBosAndEosAndEosPadsWhenThereIsNoPadToken(@TempDir Path dir) throws Exception {
        String special = "\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true";
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[{\"id\":0,\"content\":\"<s>\"," + special + "},{\"id\":1,\"content\":\"</s>\"," + special + "},"
                + "{\"id\":2,\"content\":\"<unk>\"," + special + "}],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\","
                + "\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],"
                + "\"pair\":[{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],"
                + "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[0],\"tokens\":[\"<s>\"]},\"</s>\":{\"id\":\"</s>\",\"ids\":[1],\"tokens\":[\"</s>\"]}}},"
                + "\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"<s>\":0,\"</s>\":1,\"<unk>\":2,\"hello\":3,\"world\":4,\"again\":5},\"unk_token\":\"<unk>\"}}";
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        try (HfTokenizer t = HfTokenizer.load(file)) {
            assertEquals(new SpecialTokens(-1, 0, 1, 2, -1, -1, -1), t.specialTokens());
            assertEquals(6, t.vocabSize());
            assertEquals(Integer.MAX_VALUE, t.maxLength());
            assertArrayEquals(new int[]{0, 3, 4, 1}, t.encode("hello world").ids());
            assertArrayEquals(new int[]{0, 3, 2, 1}, t.encode("hello there").ids());
            BatchEncoding b = t.encodeBatch(List.of("hello world again", "hello"), Padding.LONGEST, 100);
            assertArrayEquals(new int[]{0, 3, 1, 1, 1}, b.ids()[1]);
            assertArrayEquals(new int[]{1, 1, 1, 0, 0}, b.attentionMask()[1]);
            assertThrows(IllegalArgumentException.class, () -> t.encodeBatch(List.of("x"), Padding.MAX_LENGTH, Integer.MAX_VALUE));
        }
    }
}
