package dev.tune4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.report.Json;

import java.util.Map;

/** Typed reads of a Hugging Face config.json, with errors that name the missing key. */
public final class HfConfig {
    private final JsonNode root;
    private final String source;

    public HfConfig(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException(source + ": config.json is not a JSON object");
        this.root = root;
        this.source = source;
    }

    public JsonNode root() { return root; }

    public String source() { return source; }

    public boolean has(String key) {
        return root.hasNonNull(key);
    }

    public int requireInt(String key) {
        if (!has(key)) throw new IllegalArgumentException(source + ": config.json lacks '" + key + "'");
        return root.get(key).asInt();
    }

    public int getInt(String key, int dflt) {
        return has(key) ? root.get(key).asInt() : dflt;
    }

    public double getDouble(String key, double dflt) {
        return has(key) ? root.get(key).asDouble() : dflt;
    }

    public boolean getBool(String key, boolean dflt) {
        return has(key) ? root.get(key).asBoolean() : dflt;
    }

    public String getString(String key, String dflt) {
        return has(key) ? root.get(key).asText() : dflt;
    }

    /** The first entry of "architectures", or null. */
    public String architecture() {
        JsonNode a = root.get("architectures");
        return a != null && a.isArray() && !a.isEmpty() ? a.get(0).asText() : null;
    }

    public String modelType() {
        return getString("model_type", null);
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> getMap(String key) {
        return has(key) && root.get(key).isObject() ? Json.MAPPER.convertValue(root.get(key), Map.class) : null;
    }

    public ObjectNode copy() {
        return (ObjectNode) root.deepCopy();
    }
}
