package dev.tune4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.input.RawRow;
import dev.tune4j.report.Json;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps source fields to a schema's canonical fields. The schema is given or detected from the
 * fields of the first rows; field names are given ({@code --field text=body}) or found among a short
 * list of common aliases. Once decided, the mapping is fixed for the whole run, and a row that does
 * not fit it is rejected with the field it lacks.
 */
public final class SchemaMapping {

    /** Common source names for each canonical field, in order of preference. */
    static final Map<String, List<String>> ALIASES = Map.of(
            "text", List.of("text", "content", "sentence", "document"),
            "label", List.of("label", "class", "category"),
            "instruction", List.of("instruction"),
            "input", List.of("input", "context"),
            "output", List.of("output", "response"),
            "messages", List.of("messages", "conversations", "conversation"),
            "prompt", List.of("prompt"),
            "chosen", List.of("chosen"),
            "rejected", List.of("rejected"));

    /** Detection order: the most specific schema first. */
    private static final List<Schema> DETECTION_ORDER = List.of(
            Schema.CHAT, Schema.PREFERENCE, Schema.INSTRUCTION, Schema.CLASSIFICATION, Schema.TEXT);

    public final Schema schema;
    /** Canonical field -> source field. */
    public final Map<String, String> fields;
    private final String splitKeyField;
    private final Set<String> mappedSources;
    /** Canonical field -> rows whose value was a number or boolean (read as its text), and the first such row. */
    private final Map<String, Long> nonStringCounts = new LinkedHashMap<>();
    private final Map<String, Origin> nonStringFirst = new LinkedHashMap<>();
    private long stringLabels;

    public SchemaMapping(Schema schema, Map<String, String> fields, String splitKeyField) {
        this.schema = schema;
        this.fields = Map.copyOf(fields);
        this.splitKeyField = splitKeyField;
        this.mappedSources = new LinkedHashSet<>(fields.values());
    }

    /**
     * Decides the schema and the source name of each canonical field.
     *
     * @param sample     the first rows of the input
     * @param forced     the schema to use, or null to detect it
     * @param userFields canonical -> source names given by the user (they win over aliases)
     */
    public static SchemaMapping detect(List<RawRow> sample, Schema forced, Map<String, String> userFields, String splitKeyField) {
        for (String canonical : userFields.keySet()) {
            if (!ALIASES.containsKey(canonical)) {
                throw new IllegalArgumentException("--field " + canonical + "=...: '" + canonical + "' is not a canonical field (expected one of "
                        + String.join(", ", new java.util.TreeSet<>(ALIASES.keySet())) + ")");
            }
        }
        sample = sample.stream().map(r -> new RawRow(r.origin(), withInstanceFields(r.fields()))).toList();
        List<Schema> candidates = forced != null ? List.of(forced) : DETECTION_ORDER;
        Schema best = null;
        int bestCount = -1;
        Map<String, String> bestFields = null;
        for (Schema s : candidates) {
            // Resolve each canonical field to the first name (given or alias) that the sample uses.
            Map<String, String> resolved = new LinkedHashMap<>();
            for (String canonical : s.fields) {
                String src = userFields.get(canonical);
                if (src == null) {
                    for (String alias : ALIASES.get(canonical)) {
                        if (sample.stream().anyMatch(r -> r.fields().has(alias))) {
                            src = alias;
                            break;
                        }
                    }
                }
                if (src != null) resolved.put(canonical, src);
            }
            if (!resolved.keySet().containsAll(s.required)) continue;
            int fit = 0;
            for (RawRow r : sample) {
                boolean ok = true;
                for (String req : s.required) ok &= r.fields().has(resolved.get(req));
                if (ok) fit++;
            }
            // The most specific schema that fits at least half of the sample wins.
            if (fit * 2 >= sample.size() && fit > 0 || forced != null) {
                return new SchemaMapping(s, resolved, splitKeyField);
            }
            if (fit > bestCount) {
                best = s;
                bestCount = fit;
                bestFields = resolved;
            }
        }
        if (best == null || bestCount <= 0) {
            Set<String> seen = new LinkedHashSet<>();
            for (RawRow r : sample) r.fields().fieldNames().forEachRemaining(seen::add);
            String what = forced != null ? "rows do not have the fields of schema " + forced.id() + " (" + String.join(", ", forced.required) + ")"
                    : "cannot detect the schema";
            throw new IllegalArgumentException(what + " from the fields " + seen
                    + "; give --schema and map names with --field CANONICAL=SOURCE (e.g. --field text=body)");
        }
        return new SchemaMapping(best, bestFields, splitKeyField);
    }

    /** Turns a raw row into an example, or returns the reason it cannot be one. */
    public Object convert(RawRow row) {
        Origin o = row.origin();
        ObjectNode f = withInstanceFields(row.fields());
        JsonNode instances = f.get("instances");
        if (schema == Schema.INSTRUCTION && instances != null && instances.isArray() && instances.size() > 1 && !row.fields().has("output")) {
            return new Reject("invalid_field", "'instances' holds " + instances.size() + " input/output pairs; one per row is supported (split the row)", o, row.fields());
        }
        String[] texts;
        String[] roles = null;
        String label = null;
        try {
            switch (schema) {
                case TEXT -> texts = new String[] {text(f, o, "text", true)};
                case CLASSIFICATION -> {
                    texts = new String[] {text(f, o, "text", true)};
                    label = text(f, o, "label", true).strip();
                    if (label.isEmpty()) throw new FieldProblem("missing_field", "the label field '" + fields.get("label") + "' is empty");
                }
                case INSTRUCTION -> texts = new String[] {text(f, o, "instruction", true), text(f, o, "input", false), text(f, o, "output", true)};
                case PREFERENCE -> texts = new String[] {turn(f, o, "prompt", "user"), turn(f, o, "chosen", "assistant"), turn(f, o, "rejected", "assistant")};
                case CHAT -> {
                    List<String[]> msgs = messages(f);
                    texts = new String[msgs.size()];
                    roles = new String[msgs.size()];
                    for (int i = 0; i < msgs.size(); i++) {
                        roles[i] = msgs.get(i)[0];
                        texts[i] = msgs.get(i)[1];
                    }
                }
                default -> throw new IllegalStateException();
            }
        } catch (FieldProblem p) {
            return new Reject(p.reason, p.getMessage(), o, f);
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = f.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (mappedSources.contains(e.getKey())) continue;
            JsonNode v = e.getValue();
            if (v.isTextual()) meta.put(e.getKey(), v.textValue());
            else if (v.isNumber()) meta.put(e.getKey(), v.numberValue());
            else if (v.isBoolean()) meta.put(e.getKey(), v.booleanValue());
        }
        if (meta.isEmpty()) meta = Map.of();
        String splitKey = null;
        if (splitKeyField != null) {
            JsonNode v = f.get(splitKeyField);
            if (v != null && !v.isNull()) splitKey = v.isValueNode() ? v.asText() : v.toString();
        }
        return new Example(o, schema, roles, texts, label, meta, splitKey);
    }

    /**
     * Self-instruct's seed format keeps a task's input and output in {@code instances}, a list of
     * {input, output} objects: a row with exactly one and no top-level input/output gets them as
     * fields of its own (a copy; the row is not changed).
     */
    static ObjectNode withInstanceFields(ObjectNode f) {
        JsonNode instances = f.get("instances");
        if (instances == null || !instances.isArray() || instances.size() != 1 || !instances.get(0).isObject()) return f;
        if (f.has("input") || f.has("output")) return f;
        ObjectNode copy = f.deepCopy();
        JsonNode one = instances.get(0);
        if (one.has("input")) copy.set("input", one.get("input"));
        if (one.has("output")) copy.set("output", one.get("output"));
        copy.remove("instances");
        return copy;
    }

    private static final class FieldProblem extends Exception {
        final String reason;

        FieldProblem(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    private String text(ObjectNode f, Origin o, String canonical, boolean required) throws FieldProblem {
        String src = fields.get(canonical);
        JsonNode v = src == null ? null : f.get(src);
        if (v == null || v.isNull()) {
            if (!required) return "";
            throw new FieldProblem("missing_field", "missing field '" + (src == null ? canonical : src) + "'"
                    + (src != null && !src.equals(canonical) ? " (mapped to " + canonical + ")" : ""));
        }
        if (v.isTextual()) {
            if (canonical.equals("label")) stringLabels++;
            return v.textValue();
        }
        if (v.isNumber() || v.isBoolean()) {
            // Kept (labels 0/1 are common), but a number where text belongs is worth a warning.
            nonStringCounts.merge(canonical, 1L, Long::sum);
            nonStringFirst.putIfAbsent(canonical, o);
            return v.asText();
        }
        throw new FieldProblem("invalid_field", "field '" + src + "' must be a string, found " + v.getNodeType().name().toLowerCase(Locale.ROOT));
    }

    /**
     * What the rows converted so far did that is allowed but suspicious: numbers or booleans in a
     * text field (they became text), and labels that are strings in some rows and numbers or
     * booleans in others (1 and "1" are then the same class). One sentence each.
     */
    public List<String> warnings() {
        List<String> w = new ArrayList<>();
        nonStringCounts.forEach((canonical, n) -> {
            String src = fields.get(canonical);
            if (!canonical.equals("label")) {
                w.add("field '" + src + "' holds a number or boolean instead of text in " + n + " rows (e.g. " + nonStringFirst.get(canonical)
                        + "); they were read as text");
            } else if (stringLabels > 0) {
                w.add("labels mix types: " + n + " rows have a number or boolean label (e.g. " + nonStringFirst.get(canonical) + "), "
                        + stringLabels + " a string; all are read as text, so 1 and \"1\" are one class");
            }
        });
        return w;
    }

    /**
     * A preference field: text, or (conversational preference data, as TRL writes it) a list of
     * messages, of which the one turn of {@code role} is taken: the user's prompt, the assistant's
     * chosen or rejected reply. A list with other turns besides (a multi-turn prompt) is refused.
     */
    private String turn(ObjectNode f, Origin o, String canonical, String role) throws FieldProblem {
        String src = fields.get(canonical);
        JsonNode v = src == null ? null : f.get(src);
        if (v == null || !v.isArray()) return text(f, o, canonical, true);
        List<String[]> turns = messages(f, src);
        List<String[]> system = turns.stream().filter(t -> t[0].equals("system")).toList();
        if (turns.size() - system.size() != 1 || !turns.getLast()[0].equals(role)) {
            throw new FieldProblem("invalid_field", "field '" + src + "' must hold one " + role + " message (a system message may precede a prompt); "
                    + turns.size() + " messages given, multi-turn preference prompts are not supported");
        }
        return turns.getLast()[1];
    }

    private List<String[]> messages(ObjectNode f) throws FieldProblem {
        return messages(f, fields.get("messages"));
    }

    private List<String[]> messages(ObjectNode f, String src) throws FieldProblem {
        JsonNode v = f.get(src);
        if (v == null || v.isNull()) throw new FieldProblem("missing_field", "missing field '" + src + "'");
        if (v.isTextual()) {            // CSV and some exports keep the list as a JSON string
            try {
                v = Json.MAPPER.readTree(v.textValue());
            } catch (Exception e) {
                throw new FieldProblem("invalid_field", "field '" + src + "' is a string that is not a JSON list of messages");
            }
        }
        if (!v.isArray()) throw new FieldProblem("invalid_field", "field '" + src + "' must be a list of messages");
        List<String[]> out = new ArrayList<>();
        int i = 0;
        for (JsonNode m : v) {
            if (!m.isObject()) throw new FieldProblem("invalid_field", src + "[" + i + "] is not an object with role and content");
            JsonNode role = first(m, "role", "from");
            JsonNode content = first(m, "content", "value", "text");
            if (role == null || !role.isTextual()) throw new FieldProblem("invalid_field", src + "[" + i + "] has no role (or ShareGPT 'from')");
            out.add(new String[] {normaliseRole(role.textValue()), contentText(content, src, i)});
            i++;
        }
        return out;
    }

    private static String contentText(JsonNode content, String src, int i) throws FieldProblem {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.textValue();
        if (content.isArray()) {            // OpenAI style list of parts: keep the text parts
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                JsonNode t = part.isTextual() ? part : part.get("text");
                if (t != null && t.isTextual()) {
                    if (!sb.isEmpty()) sb.append('\n');
                    sb.append(t.textValue());
                }
            }
            return sb.toString();
        }
        throw new FieldProblem("invalid_field", src + "[" + i + "].content must be a string");
    }

    private static JsonNode first(JsonNode m, String... names) {
        for (String n : names) if (m.has(n)) return m.get(n);
        return null;
    }

    /** ShareGPT and other dialects spell the roles differently; training wants one spelling. */
    static String normaliseRole(String role) {
        String r = role.strip().toLowerCase(Locale.ROOT);
        return switch (r) {
            case "human", "user" -> "user";
            case "gpt", "assistant", "bot", "model", "chatgpt" -> "assistant";
            case "system" -> "system";
            case "tool", "function", "ipython" -> "tool";
            default -> r;
        };
    }

    /** A one-line description for logs and the report, e.g. {@code classification (text=body, label=label)}. */
    public String describe() {
        StringBuilder sb = new StringBuilder(schema.id()).append(" (");
        int i = 0;
        for (String c : schema.fields) {
            if (!fields.containsKey(c)) continue;
            if (i++ > 0) sb.append(", ");
            sb.append(c).append('=').append(fields.get(c));
        }
        return sb.append(')').toString();
    }
}
