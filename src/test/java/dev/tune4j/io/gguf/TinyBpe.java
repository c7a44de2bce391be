package dev.tune4j.io.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hand-made byte-level BPE tokenizer in Hugging Face's tokenizer.json layout: the 256 byte
 * tokens (GPT-2's byte-to-unicode alphabet), a few merges, and the ChatML special tokens
 * <|endoftext|>, <|im_start|>, <|im_end|>; with a tokenizer_config.json holding a SmolLM2-style
 * ChatML chat template (a default system prompt when the conversation has none).
 */
public final class TinyBpe {
    /** Merges in rank order; each result becomes the next token id after the 256 bytes. */
    static final List<String[]> MERGES = List.of(
            m("Ġ", "t"), m("h", "e"), m("Ġt", "he"), m("Ġ", "c"), m("a", "t"), m("Ġc", "at"), m("Ġ", "s"), m("Ġs", "at"),
            m("o", "n"), m("Ġ", "on"), m("Ġ", "m"), m("Ġm", "at"), m("i", "n"), m("Ġ", "in"), m("e", "r"), m("Ġ", "a"),
            m("l", "l"), m("Ġa", "ll"), m("1", "2"));
    public static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    public static final int SIZE = 256 + MERGES.size() + SPECIALS.size();
    public static final String CHAT_TEMPLATE = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a tiny test model.<|im_end|>\\n' }}{% endif %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Pre-tokenizer layouts, named for llama.cpp's pre-tokenizer they correspond to. */
    public enum Pre { GPT2, SMOLLM, QWEN2, LLAMA3 }

    private TinyBpe() {}

    private static String[] m(String a, String b) { return new String[] {a, b}; }

    /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest for 256 + n in order. */
    static String byteToken(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return Character.toString(b);
        int n = 0;
        for (int x = 0; x < b; x++) if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) n++;
        return Character.toString(256 + n);
    }

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir}. */
    public static void write(Path dir, Pre pre) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            added.addObject().put("id", 256 + MERGES.size() + i).put("content", SPECIALS.get(i)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        if (pre == Pre.QWEN2) root.putObject("normalizer").put("type", "NFC");
        else root.putNull("normalizer");
        root.set("pre_tokenizer", preTokenizer(pre));
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(byteToken(b), b);
        for (String[] mg : MERGES) vocab.put(mg[0] + mg[1], vocab.size());
        for (String s : SPECIALS) vocab.put(s, vocab.size());
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode merges = model.putArray("merges");
        for (String[] mg : MERGES) merges.add(mg[0] + " " + mg[1]);
        Files.writeString(dir.resolve("tokenizer.json"), Json.pretty(root));

        ObjectNode cfg = Json.MAPPER.createObjectNode();
        cfg.put("add_bos_token", false).put("add_prefix_space", false);
        cfg.put("bos_token", "<|im_start|>").put("eos_token", "<|im_end|>").put("unk_token", "<|endoftext|>").put("pad_token", "<|im_end|>");
        cfg.put("chat_template", CHAT_TEMPLATE);
        cfg.put("model_max_length", 128).put("tokenizer_class", "GPT2Tokenizer");
        Files.writeString(dir.resolve("tokenizer_config.json"), Json.pretty(cfg));
    }

    static ObjectNode preTokenizer(Pre pre) {
        ObjectNode byteLevel = Json.MAPPER.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", pre == Pre.GPT2 || pre == Pre.SMOLLM);
        if (pre == Pre.GPT2) return byteLevel;
        ObjectNode seq = Json.MAPPER.createObjectNode().put("type", "Sequence");
        ArrayNode steps = seq.putArray("pretokenizers");
        if (pre == Pre.SMOLLM) {
            steps.addObject().put("type", "Digits").put("individual_digits", true);
        } else {
            ObjectNode split = steps.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", pre == Pre.QWEN2 ? GgufVocab.QWEN2_REGEX : GgufVocab.LLAMA3_REGEX);
            split.put("behavior", "Isolated").put("invert", false);
        }
        steps.add(byteLevel);
        return seq;
    }
}
