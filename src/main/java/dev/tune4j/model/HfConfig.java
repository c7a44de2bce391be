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

    /** A whole number that config.json must have. */
    public int requireInt(String key) {
        if (!has(key)) throw new IllegalArgumentException(source + ": config.json lacks '" + key + "'");
        return wholeNumber(key, Integer.MIN_VALUE);
    }

    public int getInt(String key, int dflt) {
        return has(key) ? wholeNumber(key, Integer.MIN_VALUE) : dflt;
    }

    /** A size (a count of layers, heads, units, positions...) that config.json must have: a whole number >= 1. */
    public int requireSize(String key) {
        if (!has(key)) throw new IllegalArgumentException(source + ": config.json lacks '" + key + "'");
        return wholeNumber(key, 1);
    }

    /** A size, or {@code dflt} when config.json does not set it. */
    public int getSize(String key, int dflt) {
        return has(key) ? wholeNumber(key, 1) : dflt;
    }

    /** A count that may be 0 (e.g. type_vocab_size, sliding_window), or {@code dflt} when config.json does not set it. */
    public int getCount(String key, int dflt) {
        return has(key) ? wholeNumber(key, 0) : dflt;
    }

    /**
     * The key's value as an int: a JSON integer (or a number with nothing after the point) in
     * [min, Integer.MAX_VALUE]; anything else is an error naming the file, the key and the value.
     */
    private int wholeNumber(String key, int min) {
        JsonNode v = root.get(key);
        boolean whole = v.isIntegralNumber() || (v.isFloatingPointNumber() && v.asDouble() == Math.rint(v.asDouble()));
        String want = min == 1 ? "a positive whole number" : min == 0 ? "a whole number >= 0" : "a whole number";
        if (!whole || !v.canConvertToInt() || v.asInt() < min) {
            throw new IllegalArgumentException(source + ": '" + key + "' must be " + want + (v.canConvertToInt() || !whole ? "" : " below 2^31")
                    + ", got " + shortText(v));
        }
        return v.asInt();
    }

    /** A finite number, or {@code dflt} when absent. */
    public double getDouble(String key, double dflt) {
        if (!has(key)) return dflt;
        JsonNode v = root.get(key);
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) throw new IllegalArgumentException(source + ": '" + key + "' must be a number, got " + shortText(v));
        return v.asDouble();
    }

    public boolean getBool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        JsonNode v = root.get(key);
        if (!v.isBoolean()) throw new IllegalArgumentException(source + ": '" + key + "' must be true or false, got " + shortText(v));
        return v.booleanValue();
    }

    public String getString(String key, String dflt) {
        if (!has(key)) return dflt;
        JsonNode v = root.get(key);
        if (!v.isTextual()) throw new IllegalArgumentException(source + ": '" + key + "' must be a string, got " + shortText(v));
        return v.textValue();
    }

    private static String shortText(JsonNode v) {
        String s = v.toString();
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
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
