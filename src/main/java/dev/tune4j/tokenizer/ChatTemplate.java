package dev.tune4j.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's chat template: a conversation to the exact text the model was tuned on, rendered by
 * Jinja configured as Hugging Face transformers does ({@link HfJinja}), with the template
 * variables {@code messages}, {@code add_generation_prompt}, the special tokens of
 * {@code tokenizer_config.json} ({@code bos_token}, {@code eos_token}, ...) and {@code tools} /
 * {@code documents} = none.
 *
 * <p>{@link #render} also says where each assistant turn lies in the text: its content and the
 * end-of-turn marker the template writes right after it (optional spaces, then the longest special
 * or added token of the tokenizer found there, e.g. {@code <|im_end|>}, {@code <|eot_id|>} or
 * eos; the bos token never counts). Spans are found by rendering the conversation a second time
 * with a unique sentinel in place of each assistant content, so they follow whatever the template
 * writes around the content; a template that trims the content still maps (only surrounding
 * whitespace may differ); any other change to the content is refused with a clear error. Where the
 * template writes no marker after a turn, eos is inserted there (and {@link Rendered#eosAppended}
 * says so), so a model tuned on the text always learns to stop.
 */
public final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOKEN_ROLES = List.of("bos", "eos", "unk", "pad", "sep", "cls", "mask");

    /** The ChatML layout of transformers' former default template (no default system prompt). */
    private static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    /** meta-llama/Meta-Llama-3-8B-Instruct's template. */
    private static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content ="
            + " '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
    /**
     * Stanford Alpaca's prompt, one "### Instruction" / "### Response" pair per exchange, each
     * response closed by eos; a leading system message replaces the preamble.
     */
    private static final String ALPACA = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] + '\\n\\n' }}"
            + "{% set loop_messages = messages[1:] %}{% else %}{{ 'Below is an instruction that describes a task. Write a response"
            + " that appropriately completes the request.\\n\\n' }}{% set loop_messages = messages %}{% endif %}"
            + "{% for message in loop_messages %}{% if message['role'] == 'user' %}{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}"
            + "{% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + message['content'] + eos_token }}"
            + "{% else %}{{ raise_exception('the alpaca template has no role ' + message['role']) }}{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}";

    private record Builtin(String source, Map<String, String> tokens, String marker) { }

    private static final Map<String, Builtin> BUILTINS = Map.of(
            "chatml", new Builtin(CHATML, Map.of("eos_token", "<|im_end|>"), "<|im_end|>"),
            "llama3", new Builtin(LLAMA3, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"), "<|eot_id|>"),
            "alpaca", new Builtin(ALPACA, Map.of("bos_token", "<s>", "eos_token", "</s>"), null));

    /** Where each assistant turn lies in {@link Rendered#text}: content [contentStart, contentEnd), then its end-of-turn marker up to endOfTurnEnd. */
    public record Span(int turn, int contentStart, int contentEnd, int endOfTurnEnd) { }

    /** The rendered conversation; {@code eosAppended}: eos was inserted after some assistant turn that the template left without a marker. */
    public record Rendered(String text, List<Span> spans, boolean eosAppended) { }

    private final String name;
    private final HfJinja jinja;
    private final Map<String, Object> tokenVariables;
    private final String eos;
    private final List<String> markers;

    private ChatTemplate(String name, String source, Map<String, Object> tokenVariables, Set<String> markers) {
        this.name = name;
        this.jinja = HfJinja.compile(name, source);
        this.tokenVariables = Map.copyOf(tokenVariables);
        this.eos = tokenVariables.get("eos_token") instanceof String s ? s : null;
        List<String> sorted = new ArrayList<>(markers);
        // bos opens text, it never ends a turn (unless it doubles as eos, as in GPT-2's <|endoftext|>)
        if (tokenVariables.get("bos_token") instanceof String bos && !bos.equals(eos)) sorted.remove(bos);
        sorted.removeIf(String::isEmpty);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        this.markers = List.copyOf(sorted);
    }

    /** The model's own template, from its folder's {@code tokenizer_config.json} (or {@code chat_template.jinja}). */
    public static ChatTemplate of(Path modelFolder) throws IOException {
        return of(modelFolder, null);
    }

    /**
     * The model's own template, or, when the folder has none, the built-in template
     * {@code builtinIfNone} ({@code chatml}, {@code llama3} or {@code alpaca}) with the model's
     * special tokens; null refuses a model without a template.
     */
    public static ChatTemplate of(Path modelFolder, String builtinIfNone) throws IOException {
        Path configFile = modelFolder.resolve("tokenizer_config.json");
        JsonNode config = readJson(configFile);
        Map<String, Object> tokens = new LinkedHashMap<>();
        Set<String> markers = new LinkedHashSet<>();
        if (config != null) readTokens(config, configFile, tokens, markers);
        for (JsonNode t : addedTokens(modelFolder.resolve("tokenizer.json"))) addText(markers, t.path("content"));

        String folder = modelFolder.toAbsolutePath().normalize().getFileName() + "/";
        JsonNode template = config == null ? null : config.get("chat_template");
        if (template != null && !template.isNull()) {
            String where = template.isTextual() ? "tokenizer_config.json" : "tokenizer_config.json, default";
            return new ChatTemplate(folder + where, templateText(template, configFile), tokens, markers);
        }
        Path jinja = modelFolder.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) return new ChatTemplate(folder + "chat_template.jinja", Files.readString(jinja), tokens, markers);
        if (builtinIfNone == null) {
            throw new IllegalArgumentException(configFile + ": the model has no chat_template (nor chat_template.jinja); choose a built-in: "
                    + String.join(", ", BUILTINS.keySet().stream().sorted().toList()));
        }
        Builtin builtin = lookup(builtinIfNone);
        Map<String, Object> merged = new LinkedHashMap<>(builtin.tokens());
        merged.putAll(tokens);
        return fromBuiltin(builtinIfNone, builtin, merged, markers);
    }

    /** A built-in template ({@code chatml}, {@code llama3}, {@code alpaca}) with its usual special tokens, for models without one. */
    public static ChatTemplate builtin(String name) {
        Builtin builtin = lookup(name);
        return fromBuiltin(name, builtin, new LinkedHashMap<>(builtin.tokens()), new LinkedHashSet<>());
    }

    /** A template given as text, with its bos and eos tokens (either may be null); eos is its only end-of-turn marker. */
    public static ChatTemplate fromSource(String name, String source, String bosToken, String eosToken) {
        Map<String, Object> tokens = new LinkedHashMap<>();
        if (bosToken != null) tokens.put("bos_token", bosToken);
        if (eosToken != null) tokens.put("eos_token", eosToken);
        return new ChatTemplate(name, source, tokens, eosToken == null ? Set.of() : Set.of(eosToken));
    }

    private static Builtin lookup(String name) {
        Builtin b = BUILTINS.get(name);
        if (b == null) {
            throw new IllegalArgumentException("unknown chat template '" + name + "'; built-ins: " + String.join(", ", BUILTINS.keySet().stream().sorted().toList()));
        }
        return b;
    }

    private static ChatTemplate fromBuiltin(String name, Builtin builtin, Map<String, Object> tokens, Set<String> markers) {
        if (builtin.marker() != null) markers.add(builtin.marker());
        if (tokens.get("eos_token") instanceof String eos) markers.add(eos);
        return new ChatTemplate("builtin:" + name, builtin.source(), tokens, markers);
    }

    /** A name for reports: the model folder and file, or {@code builtin:NAME}. */
    public String name() { return name; }

    /**
     * Renders {@code messages}; with {@code addGenerationPrompt} the text ends where the model's
     * answer starts. Spans cover the assistant turns the template writes, in text order.
     */
    public Rendered render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (messages.isEmpty()) throw new IllegalArgumentException("chat template " + name + ": no messages to render");
        String text = renderText(messages, addGenerationPrompt);
        List<ChatMessage> withSentinels = new ArrayList<>(messages.size());
        boolean anyAssistant = false;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            AssistantSpans.requireNoSentinel(name, i, m.content());
            boolean assistant = m.role().equals("assistant");
            anyAssistant |= assistant;
            withSentinels.add(assistant ? new ChatMessage(m.role(), AssistantSpans.sentinel(i)) : m);
        }
        if (!anyAssistant) return new Rendered(text, List.of(), false);
        return AssistantSpans.locate(name, renderText(withSentinels, addGenerationPrompt), text, messages, markers, eos);
    }

    private String renderText(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content());
            list.add(message);
        }
        Map<String, Object> variables = new HashMap<>(tokenVariables);
        variables.put("messages", list);
        variables.put("add_generation_prompt", addGenerationPrompt);
        return jinja.render(variables);
    }

    @Override
    public String toString() { return "ChatTemplate[" + name + "]"; }

    // ---- tokenizer_config.json ------------------------------------------------------------------

    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** tokenizer.json's {@code added_tokens}, read without building the vocabulary (megabytes) as a tree. */
    private static JsonNode addedTokens(Path tokenizerJson) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) return JSON.createArrayNode();
        try (JsonParser p = JSON.createParser(tokenizerJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException(tokenizerJson + ": not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("added_tokens")) return JSON.readTree(p);
                p.skipChildren();
            }
            return JSON.createArrayNode();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(tokenizerJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code chat_template} is the template itself, or a list of {name, template} of which transformers uses "default". */
    private static String templateText(JsonNode template, Path configFile) {
        if (template.isTextual()) return template.textValue();
        if (template.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode t : template) {
                String n = t.path("name").asText(null);
                names.add(n);
                if ("default".equals(n) && t.path("template").isTextual()) return t.path("template").textValue();
            }
            throw new IllegalArgumentException(configFile + ": chat_template lists " + names + " but no 'default' template");
        }
        throw new IllegalArgumentException(configFile + ": chat_template must be a string or a list of {name, template}, found "
                + template.getNodeType().name().toLowerCase());
    }

    /** The special tokens as template variables (strings, or AddedToken objects in newer files), and every added token's text. */
    private static void readTokens(JsonNode config, Path configFile, Map<String, Object> tokens, Set<String> markers) {
        for (String role : TOKEN_ROLES) {
            JsonNode t = config.get(role + "_token");
            if (t == null || t.isNull()) continue;
            String text = t.isTextual() ? t.textValue() : t.path("content").isTextual() ? t.path("content").textValue() : null;
            if (text == null) throw new IllegalArgumentException(configFile + ": " + role + "_token must be a string or an object with 'content'");
            tokens.put(role + "_token", text);
            markers.add(text);
        }
        JsonNode additional = config.path("additional_special_tokens");
        if (additional.isArray()) {
            List<String> texts = new ArrayList<>();
            for (JsonNode t : additional) {
                String text = t.isTextual() ? t.textValue() : t.path("content").asText(null);
                if (text != null) texts.add(text);
            }
            tokens.put("additional_special_tokens", texts);
            markers.addAll(texts);
        }
        for (JsonNode t : config.path("added_tokens_decoder")) addText(markers, t.path("content"));
    }

    private static void addText(Set<String> markers, JsonNode content) {
        if (content.isTextual()) markers.add(content.textValue());
    }
}
