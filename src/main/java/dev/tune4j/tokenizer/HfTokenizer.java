package dev.tune4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust tokenizers library through DJL. The
 * native library ships inside DJL's jar for linux-x86_64 (also aarch64, macOS, Windows) and is
 * extracted to DJL's cache on first use; offline mode and telemetry opt-out are switched on here
 * (unless set otherwise), so nothing is ever downloaded.
 *
 * <p>DJL's own padding and truncation are switched off: this class truncates (keeping the
 * template's special tokens) and pads itself, so one native tokenizer serves every max length.
 * Special tokens come from {@code tokenizer_config.json} / {@code special_tokens_map.json} next to
 * the tokenizer when present, else from the tokenizer.json's structure and added tokens.
 */
public final class HfTokenizer implements Tokenizer {
    static {
        // Must precede the first DJL class: keeps the bundled native library and never phones home.
        if (System.getenv("DJL_OFFLINE") == null && System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Far above any real vocabulary (the largest are about 256k), far below what a table of ids could hold. */
    private static final int MAX_VOCAB = 1 << 24;
    private static final List<String> ROLES = List.of("pad", "bos", "eos", "unk", "cls", "sep", "mask");
    /** Well-known spellings, tried last, for tokenizers shipped without a config. */
    private static final Map<String, List<String>> USUAL_NAMES = Map.of(
            "pad", List.of("[PAD]", "<pad>", "<|pad|>", "<|padding|>"),
            "unk", List.of("[UNK]", "<unk>", "<|unk|>"),
            "cls", List.of("[CLS]", "<cls>"),
            "sep", List.of("[SEP]", "<sep>"),
            "mask", List.of("[MASK]", "<mask>"),
            "bos", List.of("<s>", "<bos>", "<|begin_of_text|>", "<|startoftext|>", "<|endoftext|>"),
            "eos", List.of("</s>", "<eos>", "<|end_of_text|>", "<|endoftext|>"));

    private final String source;
    private final HuggingFaceTokenizer native_;
    private final Map<String, Integer> tokenToId;
    private final String[] idToToken;
    private final SpecialTokens special;
    private final int maxLength;

    private HfTokenizer(String source, byte[] tokenizerJson, JsonNode config, JsonNode specialMap) throws IOException {
        this.source = source;
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not a valid tokenizer.json: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.has("model")) {
            throw new IllegalArgumentException(source + ": not a tokenizer.json (no 'model' section)");
        }
        requireSafeTemplate(root.path("post_processor"));
        this.tokenToId = vocabulary(root);
        requireUnknownToken(root.path("model"));
        int size = 0;
        for (int id : tokenToId.values()) size = Math.max(size, id + 1);
        this.idToToken = new String[size];
        tokenToId.forEach((t, id) -> idToToken[id] = t);
        this.special = specialTokens(root, config, specialMap);
        this.maxLength = defaultMaxLength(root, config);
        this.native_ = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
                Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false", "withOverflowingTokens", "false"));
    }

    /** Loads {@code tokenizer.json} (or the folder holding it) plus the config files beside it, when present. */
    public static HfTokenizer load(Path path) throws IOException {
        Path json = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(json)) throw new NoSuchFileException(json.toString(), null, "no tokenizer.json");
        Path folder = json.toAbsolutePath().getParent();
        return new HfTokenizer(json.toString(), Files.readAllBytes(json),
                readIfPresent(folder.resolve("tokenizer_config.json")), readIfPresent(folder.resolve("special_tokens_map.json")));
    }

    /** Loads a tokenizer.json from a stream (no config files); {@code source} names it in errors. */
    public static HfTokenizer load(InputStream tokenizerJson, String source) throws IOException {
        return new HfTokenizer(source, tokenizerJson.readAllBytes(), null, null);
    }

    /** Loads a tokenizer.json from the classpath, e.g. "all-minilm-l6-v2-tokenizer.json". */
    public static HfTokenizer fromResource(String resource) throws IOException {
        try (InputStream in = HfTokenizer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new NoSuchFileException(resource, null, "not on the classpath");
            return load(in, "classpath:" + resource);
        }
    }

    private static JsonNode readIfPresent(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    // ---- encoding ------------------------------------------------------------------------------

    @Override
    public Encoding encode(String text, int maxLength, boolean addSpecialTokens) {
        return truncate(convert(native_.encode(text, addSpecialTokens, false), text), maxLength);
    }

    @Override
    public BatchEncoding encodeBatch(List<String> texts, Padding padding, int maxLength) {
        if (padding == Padding.MAX_LENGTH && maxLength == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding to max length needs a max length; " + source + " sets none");
        }
        ai.djl.huggingface.tokenizers.Encoding[] raw = native_.batchEncode(texts);
        Encoding[] enc = new Encoding[raw.length];
        int longest = 0;
        for (int i = 0; i < raw.length; i++) {
            enc[i] = truncate(convert(raw[i], texts.get(i)), maxLength);
            longest = Math.max(longest, enc[i].length());
        }
        int[][] ids = new int[enc.length][], mask = new int[enc.length][], types = new int[enc.length][];
        int[] lengths = new int[enc.length];
        int padId = padId();
        for (int i = 0; i < enc.length; i++) {
            int n = enc[i].length();
            int width = switch (padding) {
                case NONE -> n;
                case LONGEST -> longest;
                case MAX_LENGTH -> maxLength;
            };
            lengths[i] = n;
            ids[i] = Arrays.copyOf(enc[i].ids(), width);
            mask[i] = Arrays.copyOf(enc[i].attentionMask(), width);
            types[i] = Arrays.copyOf(enc[i].typeIds(), width);
            Arrays.fill(ids[i], n, width, padId);
        }
        return new BatchEncoding(ids, mask, types, lengths);
    }

    /** The pad id; tokenizers without one (GPT-2, Llama) pad with eos, as is usual for them; the mask hides it either way. */
    private int padId() {
        if (special.pad() != SpecialTokens.NONE) return special.pad();
        if (special.eos() != SpecialTokens.NONE) return special.eos();
        return 0;
    }

    private static Encoding convert(ai.djl.huggingface.tokenizers.Encoding e, String text) {
        long[] ids = e.getIds();
        int n = ids.length;
        int[] outIds = new int[n], mask = new int[n], types = new int[n], specials = new int[n];
        int[][] offsets = new int[n][];
        long[] m = e.getAttentionMask(), t = e.getTypeIds(), s = e.getSpecialTokenMask();
        CharSpan[] spans = e.getCharTokenSpans();
        for (int i = 0; i < n; i++) {
            outIds[i] = Math.toIntExact(ids[i]);
            mask[i] = (int) m[i];
            types[i] = (int) t[i];
            specials[i] = (int) s[i];
            CharSpan span = spans == null ? null : spans[i];
            offsets[i] = span == null ? new int[]{0, 0} : new int[]{span.getStart(), span.getEnd()};
        }
        if (text.length() != text.codePointCount(0, text.length())) toUtf16(offsets, text);
        return new Encoding(outIds, mask, types, specials, e.getTokens(), offsets);
    }

    /**
     * The native library counts offsets in code points; Java indexes UTF-16 units, which differ
     * after any character outside the Basic Multilingual Plane (emoji, many CJK extensions).
     */
    private static void toUtf16(int[][] offsets, String text) {
        int[] unitOf = new int[text.codePointCount(0, text.length()) + 1];
        for (int cp = 0, unit = 0; cp < unitOf.length; cp++) {
            unitOf[cp] = unit;
            if (unit < text.length()) unit += Character.charCount(text.codePointAt(unit));
        }
        for (int[] o : offsets) {
            o[0] = unitOf[Math.min(o[0], unitOf.length - 1)];
            o[1] = unitOf[Math.min(o[1], unitOf.length - 1)];
        }
    }

    /** Right truncation that keeps the template's special tokens: drops the last text tokens. */
    private Encoding truncate(Encoding e, int maxLength) {
        int n = e.length();
        if (n <= maxLength) return e;
        int specials = 0;
        for (int s : e.specialTokensMask()) specials += s;
        if (maxLength < specials) {
            throw new IllegalArgumentException("max length " + maxLength + " cannot hold the " + specials
                    + " special tokens " + source + " adds");
        }
        int keepText = maxLength - specials, textSeen = 0, k = 0;
        int[] ids = new int[maxLength], mask = new int[maxLength], types = new int[maxLength], sp = new int[maxLength];
        String[] tokens = new String[maxLength];
        int[][] offsets = new int[maxLength][];
        for (int i = 0; i < n; i++) {
            boolean isSpecial = e.specialTokensMask()[i] == 1;
            if (!isSpecial && textSeen++ >= keepText) continue;
            ids[k] = e.ids()[i];
            mask[k] = e.attentionMask()[i];
            types[k] = e.typeIds()[i];
            sp[k] = e.specialTokensMask()[i];
            tokens[k] = e.tokens()[i];
            offsets[k] = e.offsets()[i];
            k++;
        }
        return new Encoding(ids, mask, types, sp, tokens, offsets);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return native_.decode(l, skipSpecialTokens);
    }

    @Override
    public int vocabSize() { return idToToken.length; }

    @Override
    public int maxLength() { return maxLength; }

    @Override
    public SpecialTokens specialTokens() { return special; }

    @Override
    public int tokenToId(String token) { return tokenToId.getOrDefault(token, -1); }

    @Override
    public String idToToken(int id) { return id >= 0 && id < idToToken.length ? idToToken[id] : null; }

    @Override
    public void close() { native_.close(); }

    @Override
    public String toString() {
        return "HfTokenizer[" + source + ", vocab " + vocabSize() + ", " + special + "]";
    }

    // ---- tokenizer.json facts ------------------------------------------------------------------

    /** Token -> id from the model's vocabulary (map for WordPiece/BPE/WordLevel, list for Unigram) and added tokens. */
    private Map<String, Integer> vocabulary(JsonNode root) {
        Map<String, Integer> ids = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) ids.put(e.getKey(), tokenId(e.getValue(), "model.vocab '" + e.getKey() + "'"));
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) ids.put(vocab.get(i).path(0).asText(), i);
        } else {
            throw new IllegalArgumentException(source + ": model has no vocab");
        }
        JsonNode added = root.path("added_tokens");
        if (!added.isMissingNode() && !added.isNull() && !added.isArray()) throw new IllegalArgumentException(source + ": added_tokens must be a list");
        for (JsonNode t : added) ids.put(t.path("content").asText(), tokenId(t.path("id"), "added token '" + t.path("content").asText() + "'"));
        if (ids.isEmpty()) throw new IllegalArgumentException(source + ": the vocabulary is empty");
        return ids;
    }

    /** Ids index the tables built from them: a negative or absurd one is a broken file, not a vocabulary. */
    private int tokenId(JsonNode id, String what) {
        if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0 || id.asInt() >= MAX_VOCAB) {
            throw new IllegalArgumentException(source + ": " + what + " has id " + id + ", not a whole number in [0, " + MAX_VOCAB + ")");
        }
        return id.asInt();
    }

    private int defaultMaxLength(JsonNode root, JsonNode config) {
        JsonNode truncation = root.path("truncation");
        if (truncation.isObject() && truncation.path("max_length").canConvertToInt()) return truncation.path("max_length").asInt();
        // HF writes a huge sentinel (1e30) when a model sets no limit.
        if (config != null && config.path("model_max_length").isNumber() && config.path("model_max_length").asDouble() < 1e7) {
            return config.path("model_max_length").asInt();
        }
        return Integer.MAX_VALUE;
    }

    private SpecialTokens specialTokens(JsonNode root, JsonNode config, JsonNode specialMap) {
        Map<String, Integer> found = new HashMap<>();
        for (String role : ROLES) {
            for (JsonNode file : new JsonNode[]{config, specialMap}) {
                String token = tokenString(file == null ? null : file.get(role + "_token"));
                if (token != null && tokenToId.containsKey(token) && !found.containsKey(role)) found.put(role, tokenToId.get(token));
            }
        }
        structuralSpecials(root, found);
        for (JsonNode t : root.path("added_tokens")) {
            if (!t.path("special").asBoolean(false)) continue;
            String content = t.path("content").asText();
            for (String role : ROLES) {
                if (found.containsKey(role)) continue;
                if (USUAL_NAMES.get(role).contains(content)) found.put(role, t.path("id").asInt());
            }
        }
        return new SpecialTokens(found.getOrDefault("pad", -1), found.getOrDefault("bos", -1), found.getOrDefault("eos", -1),
                found.getOrDefault("unk", -1), found.getOrDefault("cls", -1), found.getOrDefault("sep", -1),
                found.getOrDefault("mask", -1));
    }

    /** A special token entry in a config: a plain string or an AddedToken object with "content". */
    private static String tokenString(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.textValue();
        if (node.isObject() && node.path("content").isTextual()) return node.path("content").textValue();
        return null;
    }

    private void structuralSpecials(JsonNode root, Map<String, Integer> found) {
        String pad = tokenString(root.path("padding").get("pad_token"));
        if (pad != null && tokenToId.containsKey(pad)) found.putIfAbsent("pad", tokenToId.get(pad));
        JsonNode model = root.path("model");
        String unk = tokenString(model.get("unk_token"));
        if (unk != null && tokenToId.containsKey(unk)) found.putIfAbsent("unk", tokenToId.get(unk));
        else if (model.path("unk_id").canConvertToInt()) found.putIfAbsent("unk", model.path("unk_id").asInt());
        postProcessor(root.path("post_processor"), found);
    }

    /**
     * Word-level and WordPiece vocabularies map every word they lack to their unknown token; the
     * native library aborts the process (a Rust panic) when that token is not in the vocabulary, so
     * such a file is refused here. (Byte-level BPE needs none: every byte is in its vocabulary.)
     */
    private void requireUnknownToken(JsonNode model) {
        String type = model.path("type").asText();
        JsonNode unk = model.get("unk_token");
        boolean needed = type.equals("WordLevel") || type.equals("WordPiece");
        if (unk == null || unk.isNull()) {
            if (needed) throw new IllegalArgumentException(source + ": a " + type + " model needs an unk_token");
            return;
        }
        JsonNode vocab = model.path("vocab");
        boolean known = unk.isTextual() && (vocab.isObject() ? vocab.has(unk.asText()) : tokenToId.containsKey(unk.asText()));
        if (!known) throw new IllegalArgumentException(source + ": model.unk_token " + unk + " is not in the model's vocab");
    }

    /**
     * The native library trusts a TemplateProcessing post-processor: a template piece naming a
     * special token that its special_tokens lack aborts the whole process (a Rust panic) on the first
     * encode. Such a file is refused here instead, naming what is missing.
     */
    private void requireSafeTemplate(JsonNode pp) {
        if (pp.path("type").asText().equals("Sequence")) {
            for (JsonNode p : pp.path("processors")) requireSafeTemplate(p);
            return;
        }
        if (!pp.path("type").asText().equals("TemplateProcessing")) return;
        JsonNode specials = pp.path("special_tokens");
        if (!specials.isObject()) throw new IllegalArgumentException(source + ": post_processor TemplateProcessing has no special_tokens object");
        for (var e : specials.properties()) {
            JsonNode ids = e.getValue().path("ids"), tokens = e.getValue().path("tokens");
            boolean intIds = ids.isArray() && !ids.isEmpty();
            for (JsonNode id : ids) intIds &= id.canConvertToInt() && id.asInt() >= 0;
            if (!intIds || !tokens.isArray() || tokens.size() != ids.size()) {
                throw new IllegalArgumentException(source + ": post_processor special token '" + e.getKey() + "' needs 'ids' (non-negative integers) and as many 'tokens'");
            }
        }
        for (String template : List.of("single", "pair")) {
            JsonNode pieces = pp.path(template);
            if (!pieces.isArray()) throw new IllegalArgumentException(source + ": post_processor TemplateProcessing has no '" + template + "' template");
            for (JsonNode piece : pieces) {
                JsonNode special = piece.path("SpecialToken"), sequence = piece.path("Sequence");
                boolean ok = special.isObject() ? special.path("id").isTextual() && specials.has(special.path("id").asText()) && special.path("type_id").canConvertToInt()
                        : sequence.isObject() && List.of("A", "B").contains(sequence.path("id").asText()) && sequence.path("type_id").canConvertToInt();
                if (!ok) {
                    throw new IllegalArgumentException(source + ": post_processor '" + template + "' template piece " + piece
                            + " is neither a Sequence A/B nor a SpecialToken listed in special_tokens");
                }
            }
        }
    }

    /** The ids the post-processor puts around a single sequence: BERT/RoBERTa cls and sep, template tokens. */
    private void postProcessor(JsonNode pp, Map<String, Integer> found) {
        switch (pp.path("type").asText()) {
            case "BertProcessing", "RobertaProcessing" -> {
                if (pp.path("cls").path(1).canConvertToInt()) found.putIfAbsent("cls", pp.path("cls").path(1).asInt());
                if (pp.path("sep").path(1).canConvertToInt()) found.putIfAbsent("sep", pp.path("sep").path(1).asInt());
            }
            case "TemplateProcessing" -> {
                JsonNode single = pp.path("single");
                boolean seenSequence = false;
                for (JsonNode piece : single) {
                    if (piece.has("Sequence")) { seenSequence = true; continue; }
                    String name = piece.path("SpecialToken").path("id").asText(null);
                    if (name == null) continue;
                    Integer id = tokenToId.get(name);
                    if (id == null && pp.path("special_tokens").path(name).path("ids").path(0).canConvertToInt()) {
                        id = pp.path("special_tokens").path(name).path("ids").path(0).asInt();
                    }
                    if (id == null) continue;
                    boolean bracketed = name.startsWith("[") && name.endsWith("]");
                    found.putIfAbsent(seenSequence ? (bracketed ? "sep" : "eos") : (bracketed ? "cls" : "bos"), id);
                }
            }
            case "Sequence" -> { for (JsonNode p : pp.path("processors")) postProcessor(p, found); }
            default -> { }
        }
    }
}
