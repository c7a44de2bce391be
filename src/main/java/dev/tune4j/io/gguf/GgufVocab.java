package dev.tune4j.io.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face byte-level BPE tokenizer (tokenizer.json, with tokenizer_config.json and
 * config.json for special tokens and the chat template) as llama.cpp's {@code tokenizer.*}
 * metadata, following convert_hf_to_gguf.py's {@code _set_vocab_gpt2} and gguf-py's SpecialVocab:
 *
 * <ul>
 *   <li>{@code tokenizer.ggml.model} "gpt2"; {@code tokenizer.ggml.pre}, the llama.cpp pre-tokenizer
 *       whose regexes are the tokenizer's (see {@link #preTokenizer});</li>
 *   <li>{@code tokens} for every id below the model's vocab_size, ids the tokenizer lacks as
 *       "[PAD<id>]"; {@code token_type} 1 (normal), 3 (control: an added token that is special or
 *       looks like {@code <|...|>}), 4 (user defined: other added tokens), 5 (unused padding);</li>
 *   <li>{@code merges} as "left right" (a space inside a part written as U+0120, as gguf-py does);</li>
 *   <li>bos/eos/unk/sep/pad ids: tokenizer_config.json's {@code <kind>_token} matched against the
 *       added tokens, else config.json's {@code <kind>_token_id}; {@code add_bos_token} /
 *       {@code add_eos_token} from tokenizer_config.json, else from a TemplateProcessing
 *       post-processor that starts with bos / ends with eos; {@code tokenizer.chat_template}.</li>
 * </ul>
 * No scores: llama.cpp's converter writes none for BPE vocabularies (they rank by merges).
 *
 * <p>SentencePiece-style tokenizers (byte_fallback, Metaspace: Llama 2, Mistral v0.1, TinyLlama),
 * which llama.cpp describes as {@code tokenizer.ggml.model} "llama", are refused with a message
 * saying so, as are WordPiece and Unigram.
 */
public final class GgufVocab {
    /** tokenizer.json Split regexes of the pre-tokenizers llama.cpp names after them (llama-vocab.cpp quotes them as "original regex from tokenizer.json"). */
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    public static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;
    private static final List<String> SPECIAL_KINDS = List.of("bos", "eos", "unk", "sep", "pad");
    /** gguf-py's key names; "sep" keeps llama.cpp's spelling. */
    private static final Map<String, String> ID_KEYS = Map.of("bos", "tokenizer.ggml.bos_token_id", "eos", "tokenizer.ggml.eos_token_id",
            "unk", "tokenizer.ggml.unknown_token_id", "sep", "tokenizer.ggml.seperator_token_id", "pad", "tokenizer.ggml.padding_token_id");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String pre;
    private final List<String> tokens;
    private final List<Long> types;
    private final List<String> merges;
    private final Map<String, Integer> specialIds;
    private final Map<String, Boolean> addSpecial;
    private final String chatTemplate;

    private GgufVocab(String pre, List<String> tokens, List<Long> types, List<String> merges, Map<String, Integer> specialIds,
                      Map<String, Boolean> addSpecial, String chatTemplate) {
        this.pre = pre;
        this.tokens = tokens;
        this.types = types;
        this.merges = merges;
        this.specialIds = specialIds;
        this.addSpecial = addSpecial;
        this.chatTemplate = chatTemplate;
    }

    /**
     * @param tokenizerJson   tokenizer.json
     * @param tokenizerConfig tokenizer_config.json, or null
     * @param config          config.json (for {@code <kind>_token_id}), or null
     * @param vocabSize       the model's embedding rows: token ids are padded to this many
     * @param preOverride     a llama.cpp pre-tokenizer name to use instead of the one recognised, or null
     * @param source          names the tokenizer in errors
     */
    public static GgufVocab fromHuggingFace(byte[] tokenizerJson, byte[] tokenizerConfig, JsonNode config, int vocabSize,
                                            String preOverride, String source) {
        JsonNode tok = parse(tokenizerJson, source + "/tokenizer.json");
        JsonNode cfg = tokenizerConfig == null ? JSON.createObjectNode() : parse(tokenizerConfig, source + "/tokenizer_config.json");
        JsonNode model = tok.path("model");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new IllegalArgumentException(source + ": a " + type + " tokenizer cannot be exported to GGUF; tune4j writes byte-level BPE tokenizers (tokenizer.ggml.model 'gpt2') only");
        }
        if (model.path("byte_fallback").asBoolean(false) || hasStep(tok.path("pre_tokenizer"), "Metaspace")) {
            throw new IllegalArgumentException(source + ": a SentencePiece-style BPE tokenizer (byte_fallback / Metaspace, as Llama 2, Mistral v0.1 and"
                    + " TinyLlama use) would be tokenizer.ggml.model 'llama', which tune4j does not write; byte-level BPE tokenizers"
                    + " (Llama 3, SmolLM2, Qwen2) are supported");
        }
        if (!hasStep(tok.path("pre_tokenizer"), "ByteLevel")) {
            throw new IllegalArgumentException(source + ": tokenizer.json has no ByteLevel pre-tokenizer, so it is not a byte-level BPE (tokenizer.ggml.model 'gpt2')");
        }
        String pre = preOverride != null ? preOverride : preTokenizer(tok.path("pre_tokenizer"));
        if (pre == null) {
            throw new IllegalArgumentException(source + ": the tokenizer's pre-tokenizer " + tok.path("pre_tokenizer")
                    + " is not one tune4j knows llama.cpp's name for (gpt-2, smollm, llama-bpe, qwen2); name one with --tokenizer-pre"
                    + " if you know it splits text the same way (llama.cpp's src/llama-vocab.cpp lists their regexes)");
        }

        Map<Integer, String> byId = new HashMap<>();
        model.path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        Map<Integer, JsonNode> added = new HashMap<>();
        for (JsonNode a : tok.path("added_tokens")) {
            added.put(a.path("id").asInt(), a);
            byId.put(a.path("id").asInt(), a.path("content").asText());
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (maxId >= vocabSize) {
            throw new IllegalArgumentException(source + ": token id " + maxId + " (" + byId.get(maxId) + ") is beyond the model's vocab_size " + vocabSize);
        }
        List<String> tokens = new ArrayList<>(vocabSize);
        List<Long> types = new ArrayList<>(vocabSize);
        for (int i = 0; i < vocabSize; i++) {
            String t = byId.get(i);
            JsonNode a = added.get(i);
            tokens.add(t != null ? t : "[PAD" + i + "]");
            if (t == null) types.add((long) UNUSED);
            else if (a == null) types.add((long) NORMAL);
            else types.add((long) (a.path("special").asBoolean(false) || looksSpecial(t) ? CONTROL : USER_DEFINED));
        }

        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isTextual()) merges.add(m.asText());
            else if (m.isArray() && m.size() == 2) merges.add(spaced(m.get(0).asText()) + " " + spaced(m.get(1).asText()));
            else throw new IllegalArgumentException(source + ": tokenizer.json has a merge " + m + " that is neither \"a b\" nor [\"a\", \"b\"]");
        }

        Map<String, Integer> ids = new LinkedHashMap<>();
        for (String kind : SPECIAL_KINDS) {
            String content = tokenContent(cfg.get(kind + "_token"));
            Integer id = null;
            if (content != null) {
                for (JsonNode a : tok.path("added_tokens")) if (a.path("content").asText().equals(content)) { id = a.path("id").asInt(); break; }
            }
            if (id == null && config != null && config.path(kind + "_token_id").isIntegralNumber()) id = config.path(kind + "_token_id").asInt();
            if (id != null && id >= 0 && id < vocabSize) ids.put(kind, id);
        }
        Map<String, Boolean> addSpecial = new LinkedHashMap<>();
        templateAdds(tok.path("post_processor"), byId, ids, addSpecial);
        for (String kind : List.of("bos", "eos")) {
            if (cfg.path("add_" + kind + "_token").isBoolean()) addSpecial.put(kind, cfg.path("add_" + kind + "_token").asBoolean());
        }
        return new GgufVocab(pre, tokens, types, merges, ids, addSpecial, chatTemplate(cfg.get("chat_template"), source));
    }

    /** Puts the tokenizer.* keys. */
    public void addTo(GgufWriter w) {
        w.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        w.put("tokenizer.ggml.pre", GgufValue.string(pre));
        w.put("tokenizer.ggml.tokens", GgufValue.array(GgufType.STRING, tokens));
        w.put("tokenizer.ggml.token_type", GgufValue.array(GgufType.INT32, types));
        w.put("tokenizer.ggml.merges", GgufValue.array(GgufType.STRING, merges));
        specialIds.forEach((kind, id) -> w.put(ID_KEYS.get(kind), GgufValue.u32(id)));
        addSpecial.forEach((kind, add) -> w.put("tokenizer.ggml.add_" + kind + "_token", GgufValue.bool(add)));
        if (chatTemplate != null) w.put("tokenizer.chat_template", GgufValue.string(chatTemplate));
    }

    /** The llama.cpp pre-tokenizer name written. */
    public String pre() { return pre; }

    public int tokenCount() { return tokens.size(); }

    public int mergeCount() { return merges.size(); }

    /** Special token ids by kind (bos, eos, unk, sep, pad), those found. */
    public Map<String, Integer> specialIds() { return specialIds; }

    /** The text of token {@code id}. */
    public String token(int id) { return tokens.get(id); }

    /** The chat template from tokenizer_config.json, or null. */
    public String chatTemplate() { return chatTemplate; }

    /**
     * llama.cpp's name for a tokenizer.json pre-tokenizer, or null when it is none of these:
     * "gpt-2" (ByteLevel with its own GPT-2 regex), "smollm" (individual Digits, then that),
     * "llama-bpe" (Llama 3's Split regex, then ByteLevel without regex), "qwen2" (Qwen2's).
     * Each name selects in llama.cpp exactly the regexes the tokenizer applies.
     */
    public static String preTokenizer(JsonNode preTokenizer) {
        List<JsonNode> steps = new ArrayList<>();
        if (preTokenizer.path("type").asText().equals("Sequence")) preTokenizer.path("pretokenizers").forEach(steps::add);
        else if (!preTokenizer.isMissingNode() && !preTokenizer.isNull()) steps.add(preTokenizer);
        if (steps.isEmpty() || !isByteLevel(steps.getLast())) return null;
        boolean regex = steps.getLast().path("use_regex").asBoolean(true);
        List<JsonNode> before = steps.subList(0, steps.size() - 1);
        if (regex && before.isEmpty()) return "gpt-2";
        if (regex && before.size() == 1 && before.getFirst().path("type").asText().equals("Digits")
                && before.getFirst().path("individual_digits").asBoolean(false)) return "smollm";
        if (!regex && before.size() == 1 && before.getFirst().path("type").asText().equals("Split")
                && before.getFirst().path("behavior").asText().equals("Isolated") && !before.getFirst().path("invert").asBoolean(false)) {
            String pattern = before.getFirst().path("pattern").path("Regex").asText();
            if (pattern.equals(LLAMA3_REGEX)) return "llama-bpe";
            if (pattern.equals(QWEN2_REGEX)) return "qwen2";
        }
        return null;
    }

    private static boolean isByteLevel(JsonNode step) {
        return step.path("type").asText().equals("ByteLevel") && !step.path("add_prefix_space").asBoolean(false);
    }

    private static boolean hasStep(JsonNode preTokenizer, String type) {
        if (preTokenizer.path("type").asText().equals(type)) return true;
        for (JsonNode s : preTokenizer.path("pretokenizers")) if (s.path("type").asText().equals(type)) return true;
        return false;
    }

    /** gguf-py's does_token_look_special, for the byte-level tokens that concern us. */
    private static boolean looksSpecial(String t) {
        return (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<｜") && t.endsWith("｜>")) || t.equals("<pad>") || t.equals("<mask>");
    }

    /** A space inside a merge part as the byte-level alphabet writes it (U+0120), so "a b" stays two parts. */
    private static String spaced(String part) {
        return part.replace(' ', '\u0120');
    }

    private static String tokenContent(JsonNode entry) {
        if (entry == null) return null;
        if (entry.isTextual()) return entry.asText();
        if (entry.path("content").isTextual()) return entry.path("content").asText();
        return null;
    }

    /** add_bos/add_eos from a TemplateProcessing post-processor: a single template that starts with bos / ends with eos. */
    private static void templateAdds(JsonNode post, Map<Integer, String> byId, Map<String, Integer> ids, Map<String, Boolean> out) {
        List<JsonNode> processors = new ArrayList<>();
        if (post.path("type").asText().equals("Sequence")) post.path("processors").forEach(processors::add);
        else processors.add(post);
        for (JsonNode p : processors) {
            if (!p.path("type").asText().equals("TemplateProcessing") || p.path("single").size() < 2) continue;
            String first = p.path("single").get(0).path("SpecialToken").path("id").asText(null);
            String last = p.path("single").get(p.path("single").size() - 1).path("SpecialToken").path("id").asText(null);
            if (first != null && ids.containsKey("bos")) out.put("bos", first.equals(byId.get(ids.get("bos"))));
            if (last != null && ids.containsKey("eos")) out.put("eos", last.equals(byId.get(ids.get("eos"))));
        }
    }

    /** A template string, or the "default" of a list of named templates. */
    private static String chatTemplate(JsonNode t, String source) {
        if (t == null || t.isNull()) return null;
        if (t.isTextual()) return t.asText();
        if (t.isArray()) {
            for (JsonNode named : t) if (named.path("name").asText().equals("default")) return named.path("template").asText();
        }
        throw new IllegalArgumentException(source + "/tokenizer_config.json: chat_template is neither a string nor a list holding a 'default' template");
    }

    private static JsonNode parse(byte[] json, String what) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject()) throw new IllegalArgumentException(what + ": not a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot be read (" + e.getMessage() + ")");
        }
    }
}
