package dev.tune4j.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.MappedFiles;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.model.bert.BertClassifier;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A pre-trained model as loaded by {@link ModelLoader}: its family and configs, the weights it
 * came with, the tokenizer found beside it, and the module built from them: the family decides
 * ({@link ModelFamily#build}) whether that is the {@link Transformer} itself or a task model around
 * it, such as a {@link BertClassifier} for BertForSequenceClassification. Owns the
 * memory-mapped checkpoint: weights kept in their stored layout are views of the mapped files,
 * valid until {@link #close()}.
 */
public final class PretrainedModel implements AutoCloseable {
    private final String spec;
    private final ModelFamily family;
    private final HfConfig hfConfig;
    private final TransformerConfig config;
    private final List<WeightRule> rules;
    private final TensorSource weights;
    private final Map<String, String> storedDtypes;
    private final Tokenizer tokenizer;
    private final Map<String, byte[]> tokenizerFiles;
    private final List<Path> sourceFiles;
    private final List<AutoCloseable> resources;
    private Module module;
    private boolean closed;

    PretrainedModel(String spec, ModelFamily family, HfConfig hfConfig, TransformerConfig config, TensorSource weights,
                    Map<String, String> storedDtypes, Tokenizer tokenizer, Map<String, byte[]> tokenizerFiles,
                    List<Path> sourceFiles, List<AutoCloseable> resources) {
        this.spec = spec;
        this.family = family;
        this.hfConfig = hfConfig;
        this.config = config;
        this.rules = List.copyOf(family.weights(config, hfConfig));
        this.weights = weights;
        this.storedDtypes = Collections.unmodifiableMap(storedDtypes);
        this.tokenizer = tokenizer;
        this.tokenizerFiles = Collections.unmodifiableMap(tokenizerFiles);
        this.sourceFiles = List.copyOf(sourceFiles);
        this.resources = List.copyOf(resources);
        requireAllWeights();
    }

    /** What the model was loaded from, as given (a folder, onnx:PATH, builtin:NAME). */
    public String spec() { return spec; }

    public ModelFamily family() { return family; }

    /** The config.json read (or, for ONNX, derived from the graph and merged with a given one). */
    public HfConfig hfConfig() { return hfConfig; }

    public TransformerConfig config() { return config; }

    /** The family's checkpoint-to-parameter mapping for this model. */
    public List<WeightRule> rules() { return rules; }

    /** The stored tensors under their checkpoint names. */
    public TensorSource weights() { return weights; }

    /** Each stored tensor's dtype as the file has it (F32, BF16, I64, ...). */
    public Map<String, String> storedDtypes() { return storedDtypes; }

    /** Tensor count per stored dtype, e.g. {F32=101, I64=1}. */
    public Map<String, Integer> dtypeCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        for (String d : storedDtypes.values()) counts.merge(d, 1, Integer::sum);
        return counts;
    }

    /** The tokenizer found with the model (tokenizer.json), or null when there was none. */
    public Tokenizer tokenizer() { return tokenizer; }

    /** The tokenizer, or an error saying how to give one. */
    public Tokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalArgumentException(spec + ": no tokenizer.json found with the model; pass one with --tokenizer PATH/tokenizer.json");
        }
        return tokenizer;
    }

    /** The tokenizer files as they were read (tokenizer.json, and tokenizer_config.json / special_tokens_map.json when present). */
    public Map<String, byte[]> tokenizerFiles() { return tokenizerFiles; }

    /** Files the model was read from (weights, config, tokenizer); export refuses to write where they are. */
    public List<Path> sourceFiles() { return sourceFiles; }

    /** Parameters the model has: the elements of every tensor its weight rules load (without building it). */
    public long parameterCount() {
        if (module != null) return module.parameterCount();
        Map<String, String> originals = originalNames();
        long n = 0;
        for (WeightRule r : rules) n += weights.get(originals.get(r.hfName())).numel();
        return n;
    }

    /** Checkpoint tensors the family neither loads nor knows to ignore (e.g. a head this family has no place for). */
    public List<String> unexpectedTensors() {
        java.util.Set<String> used = new java.util.HashSet<>();
        Map<String, String> originals = originalNames();
        for (WeightRule r : rules) used.add(originals.get(r.hfName()));
        List<String> out = new ArrayList<>();
        for (String n : weights.names()) if (!used.contains(n) && !family.ignorable(n)) out.add(n);
        Collections.sort(out);
        return out;
    }

    /**
     * The module with the pre-trained weights, built on first call: the {@link Transformer}, or the
     * task model holding it ({@link BertClassifier}). Tensors in the stored layout stay
     * memory-mapped (F16/BF16 are upcast as kernels read them); make parameters you train heap
     * copies with {@link WeightMapper#materializeTrainable}.
     */
    public synchronized Module module() {
        requireOpen();
        if (module == null) {
            Module m = family.build(config, hfConfig);
            m.train(false);
            WeightMapper.load(m, rules, family, weights);
            module = m;
        }
        return module;
    }

    /** The transformer with the pre-trained weights: the module itself, or a task model's encoder. */
    public Transformer model() {
        return switch (module()) {
            case Transformer t -> t;
            case BertClassifier c -> c.encoder;
            default -> throw new IllegalStateException(spec + ": " + module.getClass().getSimpleName() + " holds no known transformer");
        };
    }

    /** The model as a sequence classifier (BertForSequenceClassification), or an error naming its architecture. */
    public BertClassifier classifier() {
        if (module() instanceof BertClassifier c) return c;
        throw new IllegalArgumentException(spec + ": architecture " + hfConfig.architecture() + " has no sequence classification head"
                + " (expected " + BertClassifier.ARCHITECTURE + ")");
    }

    /** A classification head's class names in id order (config.json's id2label); empty for other models. Builds nothing. */
    public List<String> labels() {
        return BertClassifier.ARCHITECTURE.equals(hfConfig.architecture()) ? BertClassifier.labelsOf(hfConfig) : List.of();
    }

    /** The model's current weights under the checkpoint's names (original spelling kept, e.g. a "bert." prefix). */
    public Map<String, Tensor> exportWeights() {
        Map<String, Tensor> byRule = WeightMapper.export(module(), rules);
        Map<String, String> originals = originalNames();
        Map<String, Tensor> out = new LinkedHashMap<>();
        byRule.forEach((name, t) -> out.put(originals.getOrDefault(name, name), t));
        return out;
    }

    /**
     * Saves the model as a Hugging Face folder: model.safetensors (or shards of at most
     * {@code maxShardBytes} with model.safetensors.index.json), config.json, and the tokenizer
     * files it was loaded with. A new or empty folder is written as a whole (staged beside it,
     * then renamed); into an existing folder each file is replaced atomically and weight files of
     * an earlier save are removed. Refuses a folder holding any file this model was read from.
     *
     * @return the files written
     */
    public List<Path> save(Path dir, DType dtype, long maxShardBytes) throws IOException {
        requireOpen();
        if (maxShardBytes <= 0) throw new IllegalArgumentException("max shard size must be positive, got " + maxShardBytes);
        Path target = dir.toAbsolutePath().normalize();
        for (Path src : sourceFiles) {
            Path parent = src.toAbsolutePath().normalize().getParent();
            if (parent != null && sameFile(parent, target)) {
                throw new IllegalArgumentException("refusing to export into " + dir + ": it holds the source model's " + src.getFileName()
                        + " (saving deletes and replaces weight files there); choose another folder");
            }
        }
        if (Files.exists(target) && !Files.isDirectory(target)) throw new IllegalArgumentException(dir + " exists and is not a folder");

        SafetensorsWriter writer = new SafetensorsWriter(dtype);
        exportWeights().forEach(writer::add);
        ObjectNode configJson = family.toConfigJson(config, hfConfig);
        configJson.put("torch_dtype", switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
        });
        Map<String, byte[]> extras = new LinkedHashMap<>();
        extras.put("config.json", Json.pretty(configJson).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        extras.putAll(tokenizerFiles);

        boolean fresh = !Files.exists(target) || isEmptyDir(target);
        Path writeTo = fresh ? target.resolveSibling("." + target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong())) : target;
        if (fresh) Files.createDirectories(target.getParent());
        try {
            List<Path> written = new ArrayList<>(writer.writeSharded(writeTo, maxShardBytes));
            for (var e : extras.entrySet()) written.add(atomicWrite(writeTo.resolve(e.getKey()), e.getValue()));
            if (!fresh) return written;
            try {
                Files.move(writeTo, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException | DirectoryNotEmptyException e) {
                throw new IOException("cannot move the staged export " + writeTo + " to " + target + ": " + e.getMessage(), e);
            }
            List<Path> moved = new ArrayList<>();
            for (Path p : written) moved.add(target.resolve(p.getFileName()));
            return moved;
        } finally {
            if (fresh && Files.exists(writeTo)) deleteTree(writeTo);
        }
    }

    /** Writes through a temporary file and a rename, refusing a file this process has mapped. */
    private static Path atomicWrite(Path file, byte[] bytes) throws IOException {
        if (MappedFiles.isMapped(file)) throw new IllegalStateException("refusing to write " + file + ": it is memory-mapped by an open checkpoint");
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    private static boolean isEmptyDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static boolean sameFile(Path a, Path b) throws IOException {
        return Files.exists(a) && Files.exists(b) ? Files.isSameFile(a, b) : a.equals(b);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Rule name (canonical) -> the name the source stores it under. */
    private Map<String, String> originalNames() {
        Map<String, String> m = new HashMap<>();
        for (String n : weights.names()) m.putIfAbsent(family.canonicalName(n), n);
        return m;
    }

    private void requireAllWeights() {
        Map<String, String> originals = originalNames();
        for (WeightRule r : rules) {
            if (!originals.containsKey(r.hfName())) {
                throw new IllegalArgumentException(weights.describe() + ": missing tensor '" + r.hfName() + "' (needed for "
                        + String.join(", ", r.ours()) + "; the " + family.name() + " family expects " + rules.size() + " tensors)");
            }
        }
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException(spec + " is closed");
    }

    /** Closes the tokenizer and unmaps the checkpoint; the model's mapped weights are unusable afterwards. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        }
        if (first != null) throw first;
    }

    @Override
    public String toString() {
        return "PretrainedModel[" + spec + ", " + family.name() + ", " + parameterCount() + " parameters]";
    }

    /** Parameters by engine name, for tests and tools. */
    public Map<String, Parameter> namedParameters() { return module().namedParameters(); }
}
