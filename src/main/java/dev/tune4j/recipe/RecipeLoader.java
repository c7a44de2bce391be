package dev.tune4j.recipe;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.tune4j.io.IoErrors;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a recipe: the YAML file's tree, then {@code --set key=value} overrides, merged over
 * {@code defaults.yaml}. Every key must exist in the defaults (an unknown one is an error that
 * suggests the nearest), every value must have the default's type, and the values are checked
 * against their ranges, each message naming the key. The resolved tree, defaults included, is what a
 * run folder's config.yaml holds.
 */
public final class RecipeLoader {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    /** Knobs that take more than one type (a fraction or a file, a list or a regex); RecipeChecks checks them. */
    private static final Set<String> OPEN = Set.of("data.validation", "data.test", "lora.target_modules", "classification.class_weights");

    private RecipeLoader() {}

    /** A resolved recipe: the typed record and the tree it came from (every knob, for config.yaml). */
    public record Resolved(Recipe recipe, ObjectNode tree) {
        public String yaml() {
            try {
                return YAML.writeValueAsString(tree);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static Resolved load(Path file, List<String> sets) {
        JsonNode user;
        try {
            user = YAML.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("recipe " + file + " does not exist");
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("recipe " + file + " is not UTF-8 text");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            String msg = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException("recipe " + file + " is not valid YAML" + where + ": " + msg);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read recipe " + file + ": " + IoErrors.describe(e));
        }
        if (user == null || user.isMissingNode() || user.isNull()) user = YAML.createObjectNode();
        if (!user.isObject()) throw new IllegalArgumentException("recipe " + file + " must be a mapping of keys (model:, task:, data:, ...)");
        ObjectNode tree = (ObjectNode) user;
        for (String s : sets) applySet(tree, s);
        return resolve(tree, file.toString());
    }

    /** Resolves a tree of user values (as a YAML file would give) over the defaults. */
    public static Resolved resolve(ObjectNode user, String source) {
        ObjectNode merged = defaults();
        merge(merged, user, "", source);
        Recipe r;
        try {
            r = YAML.treeToValue(merged, Recipe.class);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(source + ": " + wrongType(merged, e));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(source + ": " + e.getOriginalMessage());
        }
        RecipeChecks.check(r, source);
        return new Resolved(r, merged);
    }

    /** A value the typed recipe cannot take (a list where a string belongs, a number too large for its field), by its key. */
    private static String wrongType(ObjectNode tree, JsonMappingException e) {
        StringBuilder key = new StringBuilder();
        JsonNode v = tree;
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                key.append(key.isEmpty() ? "" : ".").append(ref.getFieldName());
                v = v.path(ref.getFieldName());
            } else {
                key.append('[').append(ref.getIndex()).append(']');
                v = v.path(ref.getIndex());
            }
        }
        Class<?> want = e instanceof MismatchedInputException m ? m.getTargetType() : null;
        String expected = want == null ? "a value of the default's type"
                : want == String.class ? "a string"
                : java.util.Collection.class.isAssignableFrom(want) ? "a list"
                : want == int.class || want == Integer.class ? "a whole number below 2^31"
                : want == long.class || want == Long.class ? "a whole number"
                : want == double.class || want == Double.class ? "a number"
                : want == boolean.class || want == Boolean.class ? "true or false"
                : "a " + want.getSimpleName().toLowerCase();
        if (want == null && v.isIntegralNumber()) expected = "a whole number below 2^31";
        return "'" + key + "' must be " + expected + ", got " + describe(v);
    }

    /** {@code key.path=value}, the value read as YAML (so numbers, booleans and lists keep their type). */
    static void applySet(ObjectNode tree, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--set expects key=value (e.g. train.epochs=2), got '" + assignment + "'");
        String key = assignment.substring(0, eq).strip();
        JsonNode value;
        try {
            value = YAML.readTree(assignment.substring(eq + 1));
        } catch (IOException e) {
            throw new IllegalArgumentException("--set " + key + ": the value is not valid YAML");
        }
        if (value == null || value.isMissingNode()) value = YAML.getNodeFactory().nullNode();
        setPath(tree, key, value);
    }

    /** Sets {@code a.b.c} in a tree, creating the mappings on the way. */
    private static void setPath(ObjectNode tree, String key, JsonNode value) {
        String[] parts = key.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null || !child.isObject()) child = node.putObject(parts[i]);
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], value);
    }

    static ObjectNode defaults() {
        try (InputStream in = RecipeLoader.class.getResourceAsStream("defaults.yaml")) {
            if (in == null) throw new IllegalStateException("recipe defaults are missing from the jar");
            return (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void merge(ObjectNode into, JsonNode user, String prefix, String source) {
        for (Iterator<Map.Entry<String, JsonNode>> it = user.fields(); it.hasNext(); ) {
            var e = it.next();
            String key = prefix + e.getKey();
            JsonNode def = into.get(e.getKey());
            if (def == null) throw new IllegalArgumentException(source + ": unknown key '" + key + "'" + suggestion(e.getKey(), into.fieldNames(), prefix));
            JsonNode v = e.getValue();
            if (def.isObject()) {
                if (!v.isObject()) throw new IllegalArgumentException(source + ": '" + key + "' must be a mapping (" + String.join(", ", names(def)) + "), got " + describe(v));
                merge((ObjectNode) def, v, key + ".", source);
                continue;
            }
            checkType(key, def, v, source);
            into.set(e.getKey(), v);
        }
    }

    private static void checkType(String key, JsonNode def, JsonNode v, String source) {
        if (def.isNull() || v.isNull() || OPEN.contains(key)) return; // open-typed knob (checked by RecipeChecks), or reset to its null default
        JsonNodeType want = def.getNodeType();
        boolean ok = switch (want) {
            case NUMBER -> def.isIntegralNumber() ? v.isIntegralNumber() : v.isNumber();
            case BOOLEAN -> v.isBoolean();
            case STRING -> v.isTextual();
            case ARRAY -> v.isArray();
            default -> true;
        };
        if (!ok) {
            String expected = switch (want) {
                case NUMBER -> def.isIntegralNumber() ? "a whole number" : "a number";
                case BOOLEAN -> "true or false";
                case STRING -> "a string";
                case ARRAY -> "a list";
                default -> want.toString().toLowerCase();
            };
            throw new IllegalArgumentException(source + ": '" + key + "' must be " + expected + ", got " + describe(v));
        }
    }

    private static String describe(JsonNode v) {
        String text = v.isTextual() ? "'" + v.asText() + "'" : v.toString();
        return (text.length() > 60 ? text.substring(0, 60) + "..." : text);
    }

    private static List<String> names(JsonNode obj) {
        List<String> n = new ArrayList<>();
        obj.fieldNames().forEachRemaining(n::add);
        return n;
    }

    /** " (did you mean 'train.epochs'?)" for the nearest sibling, or the list of valid keys. */
    private static String suggestion(String key, Iterator<String> siblings, String prefix) {
        List<String> all = new ArrayList<>();
        siblings.forEachRemaining(all::add);
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String s : all) {
            int d = distance(key.toLowerCase(), s);
            if (d < bestD) {
                bestD = d;
                best = s;
            }
        }
        if (best != null && bestD <= Math.max(2, key.length() / 3)) return " (did you mean '" + prefix + best + "'?)";
        return " (valid keys" + (prefix.isEmpty() ? "" : " under " + prefix.substring(0, prefix.length() - 1)) + ": " + String.join(", ", all) + ")";
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Builds a recipe in code: the same keys, checks and defaults as a YAML file. */
    public static final class Builder {
        private final ObjectNode tree = YAML.createObjectNode();

        /** Sets a knob by its YAML key path, e.g. {@code set("lora.r", 16)} or {@code set("data.train", "mails.jsonl")}. */
        public Builder set(String key, Object value) {
            setPath(tree, key, YAML.valueToTree(value));
            return this;
        }

        public Resolved build() {
            return resolve(tree.deepCopy(), "recipe");
        }
    }
}
