package dev.tune4j.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A checkpoint split over several safetensors files, as described by a
 * {@code model.safetensors.index.json}: {@code {"metadata": {"total_size": N}, "weight_map":
 * {tensor name: shard file name}}}. Every shard is opened (mapped) up front and every listed
 * tensor is checked to be in its shard, so a broken download fails here, not mid-training.
 */
public final class ShardedCheckpoint implements Checkpoint {
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path index;
    private final Map<String, SafetensorsFile> owner;   // tensor name -> its shard
    private final List<SafetensorsFile> shards;
    private final Map<String, String> metadata;
    private final Set<String> names;

    private ShardedCheckpoint(Path index, Map<String, SafetensorsFile> owner, List<SafetensorsFile> shards, Map<String, String> metadata) {
        this.index = index;
        this.owner = owner;
        this.shards = shards;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.names = Collections.unmodifiableSet(new java.util.TreeSet<>(owner.keySet()));
    }

    /** Opens the index file and all the shards it lists (resolved next to it). */
    public static ShardedCheckpoint open(Path indexFile) throws IOException {
        JsonNode root;
        try {
            root = STRICT.readTree(indexFile.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FileFormatException(indexFile, null, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new FileFormatException(indexFile, null, "not a JSON object");
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new FileFormatException(indexFile, null, "missing 'weight_map' object");
        }
        Map<String, String> metadata = new TreeMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && meta.isObject()) {
            for (Map.Entry<String, JsonNode> e : meta.properties()) {
                metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
            }
        }
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            if (!e.getValue().isTextual()) {
                throw new FileFormatException(indexFile, e.getKey(), "weight_map value is not a file name");
            }
            String shard = e.getValue().textValue();
            // A shard is a plain file name next to the index: no folders, nothing that escapes it.
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals(".") || shard.equals("..")) {
                throw new FileFormatException(indexFile, e.getKey(), "shard name '" + shard + "' is not a plain file name");
            }
            byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
        }
        Path folder = indexFile.toAbsolutePath().getParent();
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
            if (!Files.isRegularFile(folder.resolve(e.getKey()))) {
                throw new FileFormatException(indexFile, e.getValue().getFirst(), "shard '" + e.getKey()
                        + "' (holding " + e.getValue().size() + " tensors) does not exist in " + folder);
            }
        }
        List<SafetensorsFile> shards = new ArrayList<>();
        Map<String, SafetensorsFile> owner = new TreeMap<>();
        try {
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                SafetensorsFile f = SafetensorsFile.open(folder.resolve(e.getKey()));
                shards.add(f);
                for (String name : e.getValue()) {
                    if (!f.contains(name)) {
                        throw new FileFormatException(indexFile, name, "listed in weight_map under shard '"
                                + e.getKey() + "', which does not contain it");
                    }
                    owner.put(name, f);
                }
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : shards) f.close();
            throw e;
        }
        return new ShardedCheckpoint(indexFile, owner, List.copyOf(shards), metadata);
    }

    public Path index() { return index; }

    public List<SafetensorsFile> shards() { return shards; }

    @Override
    public Set<String> names() { return names; }

    @Override
    public boolean contains(String name) { return owner.containsKey(name); }

    private SafetensorsFile shardOf(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new IllegalArgumentException(index + ": no tensor '" + name + "' in weight_map ("
                    + names.size() + " tensors over " + shards.size() + " shards)");
        }
        return f;
    }

    @Override
    public TensorInfo info(String name) { return shardOf(name).info(name); }

    @Override
    public Tensor tensor(String name) { return shardOf(name).tensor(name); }

    @Override
    public MemorySegment bytes(String name) { return shardOf(name).bytes(name); }

    @Override
    public Map<String, String> metadata() { return metadata; }

    @Override
    public void close() {
        for (SafetensorsFile f : shards) f.close();
    }

    @Override
    public String toString() {
        return "ShardedCheckpoint[" + index + ", " + names.size() + " tensors, " + shards.size() + " shards]";
    }
}
