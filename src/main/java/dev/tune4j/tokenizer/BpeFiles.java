package dev.tune4j.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes a {@link BpeModel} as the tokenizer files of a Hugging Face model folder, in the layout the
 * tokenizers library (0.21, as DJL bundles it; also the Python library and transformers) reads:
 * <ul>
 *   <li>{@code tokenizer.json}: model BPE (vocab with the special tokens first, merges as
 *       {@code "left right"} strings, the form every version of the library reads; a byte-level
 *       token never holds a plain space), pre-tokenizer and decoder ByteLevel without a prefix
 *       space, post-processor ByteLevel (adds no token), the special tokens as special added tokens;</li>
 *   <li>{@code tokenizer_config.json}: the first special token is bos, eos and pad (the document
 *       boundary, as GPT-2's and SmolLM2's {@code <|endoftext|>}), no unk token, no token added at
 *       the start, the context length, and, when {@code <|im_start|>} and {@code <|im_end|>} are
 *       among the special tokens, a ChatML {@code chat_template} in transformers' Jinja form;</li>
 *   <li>{@code special_tokens_map.json}: the same roles.</li>
 * </ul>
 */
public final class BpeFiles {
    static final String IM_START = "<|im_start|>", IM_END = "<|im_end|>";
    /** ChatML as SmolLM2-Instruct's template writes it, without its default system prompt. */
    static final String CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private BpeFiles() {}

    /** Writes the three files into {@code dir} (created if needed), each replaced atomically; returns them. */
    public static List<Path> write(BpeModel model, Path dir, int modelMaxLength) throws IOException {
        if (model.specialTokens().isEmpty()) throw new IllegalArgumentException("a tokenizer for a language model needs a special token (its end of text)");
        if (modelMaxLength < 1) throw new IllegalArgumentException("model max length must be positive, got " + modelMaxLength);
        Files.createDirectories(dir);
        List<Path> written = List.of(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"), dir.resolve("special_tokens_map.json"));
        writeJson(written.get(0), tokenizerJson(model));
        writeJson(written.get(1), tokenizerConfig(model, modelMaxLength));
        writeJson(written.get(2), specialTokensMap(model));
        return written;
    }

    static ObjectNode tokenizerJson(BpeModel model) {
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        List<String> specials = model.specialTokens();
        for (int id = 0; id < specials.size(); id++) {
            added.addObject().put("id", id).put("content", specials.get(id)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(false, false));
        root.set("decoder", byteLevel(false, true));
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE");
        bpe.putNull("dropout");
        bpe.putNull("unk_token");
        bpe.putNull("continuing_subword_prefix");
        bpe.putNull("end_of_word_suffix");
        bpe.put("fuse_unk", false);
        bpe.put("byte_fallback", false);
        bpe.put("ignore_merges", false);
        ObjectNode vocab = bpe.putObject("vocab");
        List<String> tokens = model.vocab();
        for (int id = 0; id < tokens.size(); id++) vocab.put(tokens.get(id), id);
        ArrayNode merges = bpe.putArray("merges");
        for (String[] m : model.merges()) merges.add(m[0] + " " + m[1]);
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        return F.objectNode().put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace).put("trim_offsets", trimOffsets).put("use_regex", true);
    }

    static ObjectNode tokenizerConfig(BpeModel model, int modelMaxLength) {
        List<String> specials = model.specialTokens();
        ObjectNode c = F.objectNode();
        c.put("add_bos_token", false);
        c.put("add_eos_token", false);
        c.put("add_prefix_space", false);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        for (int id = 0; id < specials.size(); id++) {
            decoder.putObject(Integer.toString(id)).put("content", specials.get(id)).put("lstrip", false).put("normalized", false)
                    .put("rstrip", false).put("single_word", false).put("special", true);
        }
        ArrayNode extra = c.putArray("additional_special_tokens");
        specials.subList(1, specials.size()).forEach(extra::add);
        c.put("bos_token", specials.getFirst());
        if (specials.contains(IM_START) && specials.contains(IM_END)) c.put("chat_template", CHATML_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", specials.getFirst());
        c.put("model_max_length", modelMaxLength);
        c.put("pad_token", specials.getFirst());
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.putNull("unk_token");
        return c;
    }

    static ObjectNode specialTokensMap(BpeModel model) {
        List<String> specials = model.specialTokens();
        ObjectNode m = F.objectNode();
        ArrayNode extra = m.putArray("additional_special_tokens");
        specials.subList(1, specials.size()).forEach(extra::add);
        m.put("bos_token", specials.getFirst());
        m.put("eos_token", specials.getFirst());
        m.put("pad_token", specials.getFirst());
        return m;
    }

    private static void writeJson(Path file, ObjectNode json) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), json);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
