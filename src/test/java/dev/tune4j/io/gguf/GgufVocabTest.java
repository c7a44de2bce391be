package dev.tune4j.io.gguf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** tokenizer.json as llama.cpp's tokenizer.ggml.* keys: the pre-tokenizer named, special tokens found, what cannot be written refused. */
class GgufVocabTest {
    @TempDir
    Path dir;

    @Test
    void eachKnownPreTokenizerGetsLlamaCppsNameForTheSameRegexes() {
        assertEquals("gpt-2", GgufVocab.preTokenizer(TinyBpe.preTokenizer(TinyBpe.Pre.GPT2)));
        assertEquals("smollm", GgufVocab.preTokenizer(TinyBpe.preTokenizer(TinyBpe.Pre.SMOLLM)));
        assertEquals("qwen2", GgufVocab.preTokenizer(TinyBpe.preTokenizer(TinyBpe.Pre.QWEN2)));
        assertEquals("llama-bpe", GgufVocab.preTokenizer(TinyBpe.preTokenizer(TinyBpe.Pre.LLAMA3)));
        ObjectNode otherRegex = TinyBpe.preTokenizer(TinyBpe.Pre.LLAMA3);
        ((ObjectNode) otherRegex.get("pretokenizers").get(0).get("pattern")).put("Regex", "\\s+|\\w+");
        assertNull(GgufVocab.preTokenizer(otherRegex), "an unknown split is not named");
        ObjectNode prefixSpace = TinyBpe.preTokenizer(TinyBpe.Pre.GPT2).put("add_prefix_space", true);
        assertNull(GgufVocab.preTokenizer(prefixSpace), "llama.cpp's gpt-2 adds no prefix space");
    }

    private byte[] tokenizerJson(TinyBpe.Pre pre) throws Exception {
        TinyBpe.write(dir, pre);
        return Files.readAllBytes(dir.resolve("tokenizer.json"));
    }

    @Test
    void anUnknownPreTokenizerIsRefusedUnlessNamed() throws Exception {
        ObjectNode tok = (ObjectNode) Json.MAPPER.readTree(tokenizerJson(TinyBpe.Pre.LLAMA3));
        ((ObjectNode) tok.get("pre_tokenizer").get("pretokenizers").get(0).get("pattern")).put("Regex", "\\s+|\\w+");
        byte[] json = Json.MAPPER.writeValueAsBytes(tok);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GgufVocab.fromHuggingFace(json, null, null, TinyBpe.SIZE, null, "m"));
        assertTrue(e.getMessage().contains("--tokenizer-pre"), e.getMessage());
        assertEquals("llama-bpe", GgufVocab.fromHuggingFace(json, null, null, TinyBpe.SIZE, "llama-bpe", "m").pre());
    }

    @Test
    void specialTokensComeFromTheTokenizerConfigElseConfigJsonAndMergePairsKeepTheirSpaces() throws Exception {
        ObjectNode tok = (ObjectNode) Json.MAPPER.readTree(tokenizerJson(TinyBpe.Pre.GPT2));
        tok.withArray("/model/merges").removeAll().add(Json.MAPPER.createArrayNode().add("Ġ").add("t"))
                .add(Json.MAPPER.createArrayNode().add("a b").add("c"));
        ObjectNode post = tok.putObject("post_processor").put("type", "TemplateProcessing");
        post.putArray("single").add(Json.MAPPER.readTree("{\"SpecialToken\": {\"id\": \"<|endoftext|>\", \"type_id\": 0}}"))
                .add(Json.MAPPER.readTree("{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}"));
        ObjectNode config = Json.MAPPER.createObjectNode().put("bos_token_id", 275).put("eos_token_id", 276).put("pad_token_id", 9999);
        GgufVocab v = GgufVocab.fromHuggingFace(Json.MAPPER.writeValueAsBytes(tok), "{\"eos_token\": {\"content\": \"<|im_end|>\"}}".getBytes(),
                config, 300, null, "m");
        assertEquals(Map.of("bos", 275, "eos", 277), v.specialIds(), "eos from tokenizer_config.json, bos from config.json, pad out of range dropped");
        GgufWriter w = new GgufWriter();
        v.addTo(w);
        assertEquals(GgufValue.array(GgufType.STRING, List.of("Ġ t", "aĠb c")), w.metadata().get("tokenizer.ggml.merges"));
        assertEquals(GgufValue.bool(true), w.metadata().get("tokenizer.ggml.add_bos_token"), "the template starts with bos <|endoftext|>");
        assertNull(w.metadata().get("tokenizer.chat_template"));
    }

    @Test
    void sentencePieceAndWordPieceTokenizersAreRefusedSayingWhy() throws Exception {
        ObjectNode tok = (ObjectNode) Json.MAPPER.readTree(tokenizerJson(TinyBpe.Pre.GPT2));
        ((ObjectNode) tok.get("model")).put("byte_fallback", true);
        IllegalArgumentException spm = assertThrows(IllegalArgumentException.class,
                () -> GgufVocab.fromHuggingFace(Json.MAPPER.writeValueAsBytes(tok), null, null, TinyBpe.SIZE, null, "m"));
        assertTrue(spm.getMessage().contains("SentencePiece-style") && spm.getMessage().contains("'llama'"), spm.getMessage());
        ((ObjectNode) tok.get("model")).put("type", "WordPiece");
        IllegalArgumentException wp = assertThrows(IllegalArgumentException.class,
                () -> GgufVocab.fromHuggingFace(Json.MAPPER.writeValueAsBytes(tok), null, null, TinyBpe.SIZE, null, "m"));
        assertTrue(wp.getMessage().contains("WordPiece"), wp.getMessage());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> GgufVocab.fromHuggingFace(tokenizerJson(TinyBpe.Pre.GPT2), null, null, 100, null, "m"));
        assertTrue(small.getMessage().contains("beyond the model's vocab_size 100"), small.getMessage());
    }
}
