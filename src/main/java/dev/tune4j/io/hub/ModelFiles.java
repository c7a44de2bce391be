package dev.tune4j.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.io.Safetensors;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which files of a repo make the model tune4j loads: config.json, the tokenizer and chat-template
 * files present, and the safetensors weights chosen as {@link Safetensors#open} chooses them in a
 * folder (the shard index and the shards it lists, else model.safetensors, else the one .safetensors
 * file). Nothing else: never the PyTorch pickles ({@code *.bin}, {@code *.pt}, {@code *.pth}), other
 * frameworks' weights, or the README.
 */
final class ModelFiles {
    /** Small files that describe the model, its tokenizer and its chat template. */
    static final List<String> SIDE_FILES = List.of("config.json", "generation_config.json",
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
            "chat_template.json", "chat_template.jinja", "vocab.json", "vocab.txt", "merges.txt", "tokenizer.model");

    private static final List<String> PICKLES = List.of(".bin", ".pt", ".pth", ".ckpt", ".pkl");

    private ModelFiles() {}

    /**
     * The files to fetch first: the side files present and the weights, or their index (whose shards
     * {@link #shards} then lists).
     */
    static List<RepoFile> select(HubId id, List<RepoFile> files) throws HubException {
        Map<String, RepoFile> byName = byName(files);
        if (!byName.containsKey("config.json")) {
            throw new HubException(id + " has no config.json: not a transformers model repo (it holds " + names(files, 8) + ")");
        }
        List<RepoFile> out = new ArrayList<>();
        for (String side : SIDE_FILES) {
            if (byName.containsKey(side)) out.add(byName.get(side));
        }
        out.add(weights(id, files, byName));
        return out;
    }

    private static RepoFile weights(HubId id, List<RepoFile> files, Map<String, RepoFile> byName) throws HubException {
        if (byName.containsKey(Safetensors.INDEX_FILE)) return byName.get(Safetensors.INDEX_FILE);
        if (byName.containsKey(Safetensors.SINGLE_FILE)) return byName.get(Safetensors.SINGLE_FILE);
        List<RepoFile> safetensors = files.stream().filter(f -> f.isTopLevel() && f.endsWith(".safetensors")).toList();
        if (safetensors.size() == 1) return safetensors.getFirst();
        if (safetensors.size() > 1) {
            throw new HubException(id + " holds several .safetensors files (" + names(safetensors, 4) + ") but no "
                    + Safetensors.INDEX_FILE + " saying which make the model");
        }
        List<RepoFile> pickles = files.stream().filter(f -> PICKLES.stream().anyMatch(f::endsWith)).toList();
        if (!pickles.isEmpty()) {
            throw new HubException(id + " has PyTorch pickle weights only (" + names(pickles, 3) + "); tune4j loads safetensors only"
                    + " and does not download pickles: pick a revision with safetensors (the Hub's conversion bot often opened one,"
                    + " e.g. " + id.repo() + "@refs/pr/1) or convert it once with save_pretrained(..., safe_serialization=True)");
        }
        throw new HubException(id + " has no model weights (.safetensors); it holds " + names(files, 8));
    }

    /** The shards {@code index} (a downloaded model.safetensors.index.json) lists, each once, in order. */
    static List<RepoFile> shards(HubId id, Path index, List<RepoFile> files) throws IOException {
        Map<String, RepoFile> byName = byName(files);
        List<RepoFile> out = new ArrayList<>();
        for (String n : shardNames(index, id.toString())) {
            RepoFile f = byName.get(n);
            if (f == null) throw new HubException(id + ": " + Safetensors.INDEX_FILE + " lists the shard '" + n + "', which the repo does not hold");
            if (!f.endsWith(".safetensors")) throw new HubException(id + ": " + Safetensors.INDEX_FILE + " lists '" + n + "', which is not a .safetensors file");
            out.add(f);
        }
        return out;
    }

    /**
     * What a cached snapshot folder lacks of the model (config.json, the weights, the shards its index
     * lists), for offline use, where no file list can be asked for.
     */
    static List<String> missingIn(Path snapshot) throws IOException {
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) missing.add("config.json");
        Path index = snapshot.resolve(Safetensors.INDEX_FILE);
        if (Files.isRegularFile(index)) {
            for (String shard : shardNames(index, index.toString())) {
                if (!Files.isRegularFile(snapshot.resolve(shard))) missing.add(shard);
            }
        } else if (!Files.isRegularFile(snapshot.resolve(Safetensors.SINGLE_FILE))) {
            try (var s = Files.list(snapshot)) {
                if (s.noneMatch(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p))) {
                    missing.add(Safetensors.SINGLE_FILE + " (or " + Safetensors.INDEX_FILE + " and its shards)");
                }
            }
        }
        return missing;
    }

    private static Set<String> shardNames(Path index, String source) throws IOException {
        JsonNode map;
        try (InputStream in = Files.newInputStream(index)) {
            map = Json.MAPPER.readTree(in).path("weight_map");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new HubException(source + ": " + Safetensors.INDEX_FILE + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!map.isObject() || map.isEmpty()) throw new HubException(source + ": " + Safetensors.INDEX_FILE + " has no weight_map");
        Set<String> names = new LinkedHashSet<>();
        map.forEach(v -> names.add(v.asText()));
        return names;
    }

    private static Map<String, RepoFile> byName(List<RepoFile> files) {
        Map<String, RepoFile> m = new LinkedHashMap<>();
        for (RepoFile f : files) m.put(f.name(), f);
        return m;
    }

    private static String names(List<RepoFile> files, int max) {
        if (files.isEmpty()) return "no files";
        List<String> n = files.stream().map(RepoFile::name).limit(max).toList();
        return String.join(", ", n) + (files.size() > max ? ", ... (" + files.size() + " files)" : "");
    }
}
