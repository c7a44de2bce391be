package dev.tune4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** A trained byte-level BPE saved as Hugging Face files and run by the tokenizers library (through DJL). */
class BpeFilesTest {
    /** Text the tokenizer never saw while training: every kind of character the split and the byte alphabet must get right. */
    static final List<String> HELD_OUT = List.of(
            "The captain's whale wasn't there; they'd gone, I'm sure we'll see what you've DONE'S.",
            "  two leading spaces, three   inside,\ttabs\t\tand trailing   ",
            "lines\nand\r\nwindows\n\n\nbreaks\n",
            "emoji 🐋🐳 and a family 👨‍👩‍👧 and flags 🇳🇴",
            "中文的鲸鱼 日本語のクジラ 한국어 고래",
            "control \u0000\u0001\u0007\u001b[0m and \u007f and \u0085 next line",
            "odd spaces:\u00a0no-break\u3000ideographic\u2028line sep\u2029para\u000bvertical\u000cfeed\u001cfile sep",
            "combining e\u0301 and \u0627\u0644\u0639\u0631\u0628\u064a\u0629 right to left, \u05e2\u05d1\u05e8\u05d9\u05ea",
            "numbers 1234567 3.14159 ²³ ٣٤ and symbols @#$%^&*()[]{}<>~`|\\ «»",
            "special <|im_start|>user\nhello<|im_end|>\n<|endoftext|> and a broken <|im_start",
            " ",
            "");

    static BpeModel model;
    @TempDir
    static Path dir;

    static List<String> corpus() {
        String[] words = {"whale", "ship", "sea", "captain", "harpoon", "the", "a", "and", "of", "sailed", "Ishmael", "Ahab", "white", "boat", "oil"};
        SplittableRandom rng = new SplittableRandom(1);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = 3 + rng.nextInt(12); j > 0; j--) sb.append(j == 1 ? "" : " ").append(words[rng.nextInt(words.length)]);
            texts.add(sb.append(rng.nextBoolean() ? ".\n" : "!\n\n").toString());
        }
        texts.add("鲸鱼和船 クジラ 🐋 née café 1851");
        return texts;
    }

    @BeforeAll
    static void train() throws Exception {
        BpeTrainer t = new BpeTrainer(420, 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        corpus().forEach(t::add);
        model = t.train();
        BpeFiles.write(model, dir, 512);
    }

    @Test
    void theLibraryEncodesHeldOutTextExactlyAsOurModelDoes() throws Exception {
        assertTrue(model.vocabSize() > 259 + 50, "enough merges to matter: " + model.vocabSize());
        try (HfTokenizer hf = HfTokenizer.load(dir)) {
            assertEquals(model.vocabSize(), hf.vocabSize());
            for (String text : HELD_OUT) assertArrayEquals(model.encode(text), hf.encode(text, Integer.MAX_VALUE).ids(), text);
            for (String text : corpus().subList(0, 20)) assertArrayEquals(model.encode(text), hf.encode(text, Integer.MAX_VALUE).ids(), text);
        }
    }

    /**
     * Trained on the held-out texts themselves with room for every pre-token to become one token,
     * the ids are the pre-tokens: any split that differs from the library's shows.
     */
    @Test
    void preTokensEndWhereTheLibrarysEnd(@TempDir Path whole) throws Exception {
        BpeTrainer t = new BpeTrainer(5000, 1, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        HELD_OUT.forEach(t::add);
        BpeModel m = t.train();
        BpeFiles.write(m, whole, 512);
        try (HfTokenizer hf = HfTokenizer.load(whole)) {
            for (String text : HELD_OUT) {
                List<String> pieces = new ArrayList<>();
                new SpecialTokenSplitter(m.specialTokens()).split(text, o -> ByteLevel.split(o, pieces::add), pieces::add);
                assertEquals(pieces.size(), m.encode(text).length, "one token per pre-token: " + pieces);
                assertArrayEquals(m.encode(text), hf.encode(text, Integer.MAX_VALUE).ids(), text);
            }
        }
    }

    @Test
    void anyTextRoundTripsByteForByte() throws Exception {
        try (HfTokenizer hf = HfTokenizer.load(dir)) {
            for (String text : HELD_OUT) {
                int[] ids = model.encode(text);
                assertEquals(text, model.decode(ids), text);
                assertEquals(text, hf.decode(ids, false), text);
            }
        }
    }

    @Test
    void specialTokensAreSingleIdsAndTheirRolesAreFound() throws Exception {
        try (HfTokenizer hf = HfTokenizer.load(dir)) {
            Encoding e = hf.encode("<|im_start|>user\nhi<|im_end|><|endoftext|>", Integer.MAX_VALUE);
            assertEquals(1, e.ids()[0]);
            assertEquals(List.of(2, 0), List.of(e.ids()[e.length() - 2], e.ids()[e.length() - 1]));
            assertArrayEquals(model.encode("user\nhi"), java.util.Arrays.copyOfRange(e.ids(), 1, e.length() - 2));
            assertEquals(new SpecialTokens(0, 0, 0, -1, -1, -1, -1), hf.specialTokens());
            assertEquals(512, hf.maxLength());
            assertArrayEquals(model.encode("hi"), hf.encode("hi").ids(), "no bos or eos added");
        }
    }

    @Test
    void theConfigFilesDescribeTheTokensAndAChatMlTemplate() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("<|endoftext|>", config.path("eos_token").asText());
        assertEquals("<|endoftext|>", config.path("bos_token").asText());
        assertEquals("<|endoftext|>", config.path("pad_token").asText());
        assertTrue(config.path("unk_token").isNull());
        assertFalse(config.path("add_bos_token").asBoolean(true));
        assertEquals(512, config.path("model_max_length").asInt());
        assertTrue(config.path("chat_template").asText().contains("<|im_start|>' + message['role']"));
        assertEquals("<|im_end|>", config.path("added_tokens_decoder").path("2").path("content").asText());
        JsonNode tok = json.readTree(dir.resolve("tokenizer.json").toFile());
        assertEquals("BPE", tok.path("model").path("type").asText());
        assertEquals("ByteLevel", tok.path("pre_tokenizer").path("type").asText());
        assertFalse(tok.path("pre_tokenizer").path("add_prefix_space").asBoolean(true));
        assertEquals(model.merges().size(), tok.path("model").path("merges").size());
        assertEquals("<|endoftext|>", json.readTree(dir.resolve("special_tokens_map.json").toFile()).path("eos_token").asText());
    }

    @Test
    void withoutChatTokensThereIsNoChatTemplate(@TempDir Path other) throws Exception {
        BpeTrainer t = new BpeTrainer(300, 1, List.of("</s>"));
        t.add("a plain corpus");
        BpeFiles.write(t.train(), other, 128);
        JsonNode config = new ObjectMapper().readTree(other.resolve("tokenizer_config.json").toFile());
        assertTrue(config.path("chat_template").isMissingNode());
        assertEquals("</s>", config.path("eos_token").asText());
        assertEquals(0, config.path("additional_special_tokens").size());
    }

    @Test
    void theSameInputWritesTheSameBytes(@TempDir Path again) throws Exception {
        BpeTrainer t = new BpeTrainer(420, 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        corpus().forEach(t::add);
        BpeFiles.write(t.train(), again, 512);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
    }
}
