package dev.tune4j.data;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One row in canonical form. Its text lives in slots: {@code [text]} for text and classification,
 * {@code [instruction, input, output]}, {@code [prompt, chosen, rejected]}, or one slot per chat
 * message (with {@link #roles}). Every cleaning rule works slot by slot, whatever the schema.
 */
public final class Example {
    public final Origin origin;
    public final Schema schema;
    /** Chat only: the role of each message slot ({@code system}, {@code user}, {@code assistant}, ...). */
    public final String[] roles;
    public final String[] texts;
    /** Classification only. */
    public final String label;
    /** The row's other scalar fields (e.g. an id or a source), kept for provenance. */
    public final Map<String, Object> meta;
    /** The value of the split key field, or null. */
    public final String splitKey;

    public Example(Origin origin, Schema schema, String[] roles, String[] texts, String label, Map<String, Object> meta, String splitKey) {
        this.origin = origin;
        this.schema = schema;
        this.roles = roles;
        this.texts = texts;
        this.label = label;
        this.meta = meta;
        this.splitKey = splitKey;
    }

    public Example withTexts(String[] newTexts) {
        return new Example(origin, schema, roles, newTexts, label, meta, splitKey);
    }

    public Example map(UnaryOperator<String> f) {
        String[] t = new String[texts.length];
        for (int i = 0; i < t.length; i++) t[i] = f.apply(texts[i]);
        return withTexts(t);
    }

    /** Whether slot i is on the response side (the model's output) rather than the prompt side. */
    public boolean isResponse(int slot) {
        return switch (schema) {
            case TEXT, CLASSIFICATION -> false;
            case INSTRUCTION -> slot == 2;
            case PREFERENCE -> slot > 0;
            case CHAT -> "assistant".equals(roles[slot]);
        };
    }

    /**
     * The text a duplicate key is built from. Text and classification rows have one side only.
     * Slots are joined with a separator that cannot occur in cleaned text, so that moving words
     * between the instruction and the input changes the key.
     */
    public String content(Schema.Side side) {
        if (schema == Schema.TEXT || schema == Schema.CLASSIFICATION) return texts[0];
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < texts.length; i++) {
            boolean resp = isResponse(i);
            if (side == Schema.Side.PROMPT && resp || side == Schema.Side.RESPONSE && !resp) continue;
            if (!sb.isEmpty()) sb.append('\u0001');
            if (roles != null) sb.append(roles[i]).append('\u0002');
            sb.append(texts[i]);
        }
        return sb.toString();
    }

    /** Total characters (UTF-16 units) over all slots. */
    public int chars() {
        int n = 0;
        for (String t : texts) n += t.length();
        return n;
    }

    /** All text, slots separated by newlines (for length filters and token counts). */
    public String allText() {
        if (texts.length == 1) return texts[0];
        return String.join("\n", texts);
    }

    /** The canonical JSON object written to a prepared split; {@code meta} holds provenance. */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        switch (schema) {
            case TEXT -> o.put("text", texts[0]);
            case CLASSIFICATION -> {
                o.put("text", texts[0]);
                o.put("label", label);
            }
            case INSTRUCTION -> {
                o.put("instruction", texts[0]);
                o.put("input", texts[1]);
                o.put("output", texts[2]);
            }
            case PREFERENCE -> {
                o.put("prompt", texts[0]);
                o.put("chosen", texts[1]);
                o.put("rejected", texts[2]);
            }
            case CHAT -> {
                ArrayNode msgs = o.putArray("messages");
                for (int i = 0; i < texts.length; i++) msgs.addObject().put("role", roles[i]).put("content", texts[i]);
            }
        }
        ObjectNode m = o.putObject("meta");
        m.put("source", origin.file());
        m.put("line", origin.line());
        if (!meta.isEmpty()) {
            ObjectNode fields = m.putObject("fields");
            for (Map.Entry<String, Object> e : meta.entrySet()) fields.putPOJO(e.getKey(), e.getValue());
        }
        return o;
    }
}
