package dev.tune4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A classifier's class names in id order, as Hugging Face keeps them in config.json
 * ({@code id2label} / {@code label2id}).
 */
public record ClassLabels(List<String> names) {

    public ClassLabels {
        if (names == null || names.isEmpty()) throw new IllegalArgumentException("a classifier needs at least one label");
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i) == null) throw new IllegalArgumentException("label " + i + " is null in " + names);
            if (seen.putIfAbsent(names.get(i), i) != null) throw new IllegalArgumentException("duplicate label '" + names.get(i) + "' in " + names);
        }
        names = List.copyOf(names);
    }

    public int size() { return names.size(); }

    /** Name -> class id (config.json's label2id). */
    public Map<String, Integer> ids() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) m.put(names.get(i), i);
        return Collections.unmodifiableMap(m);
    }

    /** The class id of a label name, or an error listing the labels. */
    public int id(String name) {
        int id = names.indexOf(name);
        if (id < 0) throw new IllegalArgumentException("unknown label '" + name + "' (labels: " + String.join(", ", names) + ")");
        return id;
    }

    /**
     * Class names as Hugging Face reads them: from {@code id2label} ({"0": "NEGATIVE", ...}), else
     * {@code num_labels} names LABEL_0..LABEL_{n-1}, else two labels.
     */
    public static ClassLabels fromConfig(HfConfig hf) {
        JsonNode id2label = hf.root().get("id2label");
        Integer n = hf.has("num_labels") ? Integer.valueOf(hf.getInt("num_labels", 0)) : hf.has("_num_labels") ? Integer.valueOf(hf.getInt("_num_labels", 0)) : null;
        if (id2label == null || id2label.isNull()) {
            int count = n == null ? 2 : n;
            if (count < 1) throw new IllegalArgumentException(hf.source() + ": num_labels must be at least 1, got " + count);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add("LABEL_" + i);
            return new ClassLabels(out);
        }
        if (!id2label.isObject() || id2label.isEmpty()) throw new IllegalArgumentException(hf.source() + ": id2label must be a non-empty object {\"0\": \"name\", ...}");
        TreeMap<Integer, String> byId = new TreeMap<>();
        for (var e : id2label.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey().trim());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(hf.source() + ": id2label key '" + e.getKey() + "' is not a class id");
            }
            byId.put(id, e.getValue().asText());
        }
        if (byId.firstKey() != 0 || byId.lastKey() != byId.size() - 1) {
            throw new IllegalArgumentException(hf.source() + ": id2label ids must be 0.." + (byId.size() - 1) + ", got " + byId.keySet());
        }
        if (n != null && n != byId.size()) {
            throw new IllegalArgumentException(hf.source() + ": num_labels " + n + " contradicts id2label's " + byId.size() + " labels");
        }
        return new ClassLabels(new ArrayList<>(byId.values()));
    }

    /**
     * Writes id2label and label2id as save_pretrained does; num_labels follows from them, so a stale
     * num_labels is removed rather than left to contradict them.
     */
    public void writeTo(ObjectNode config) {
        ObjectNode id2label = config.putObject("id2label"), label2id = config.putObject("label2id");
        for (int i = 0; i < names.size(); i++) {
            id2label.put(Integer.toString(i), names.get(i));
            label2id.put(names.get(i), i);
        }
        config.remove("num_labels");
        config.remove("_num_labels");
        // one output is a score (a reward model), which transformers trains and reads as regression
        if (names.size() == 1) config.put("problem_type", "regression");
    }

    @Override
    public String toString() {
        return "[" + String.join(", ", names) + "]";
    }
}
