package dev.tune4j.model;

import dev.tune4j.io.IoErrors;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.MappedFiles;
import dev.tune4j.io.OutputFolder;
import dev.tune4j.io.SafetensorsWriter;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A pre-trained model as loaded by {@link ModelLoader}: its family and configs, the weights it
 * came with, the tokenizer found beside it, and the module built from them: the family decides
 * ({@link ModelFamily#build}) whether that is the {@link Transformer} itself or a task model around
 * it, such as a {@link SequenceClassifier} for a *ForSequenceClassification checkpoint. Owns the
 * memory-mapped checkpoint: weights kept in their stored layout are views of the mapped files,
 * valid until {@link #close()}.
 *
 * <p>{@link #classifier(ClassifierSpec)} turns a base model (BertModel, a causal LM) into a sequence
 * classifier with a freshly initialised head: from then on this object describes the classifier
 * (config, rules, module, labels), and {@link #save} writes a checkpoint that transformers'
 * AutoModelForSequenceClassification loads as it is.
 */
public final class PretrainedModel implements AutoCloseable {
    private final String spec;
    private final ModelFamily family;
    // Replaced together when the model is made a classifier with a new head.
    private volatile HfConfig hfConfig;
    private volatile TransformerConfig config;
    private volatile List<WeightRule> rules;
    /** The module has a head the checkpoint did not describe, so its tensors are saved under the class's own names. */
    private volatile boolean reheaded;
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
        WeightMapper.checkShapes(rules, family, weights, family.parameterShapes(config, hfConfig), hfConfig.source());
    }

    /** What the model was loaded from, as given (a folder, onnx:PATH, builtin:NAME). */
    public String spec() { return spec; }

    public ModelFamily family() { return family; }

    /**
     * The config.json read (or, for ONNX, derived from the graph and merged with a given one); after
     * {@link #classifier(ClassifierSpec)} gave the model a new head, the classifier's config.json.
     */
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
     * task model holding it (a {@link SequenceClassifier}). Tensors in the stored layout stay
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

    /** The transformer with the pre-trained weights: the module itself, or a task model's backbone. */
    public Transformer model() {
        return switch (module()) {
            case Transformer t -> t;
            case SequenceClassifier c -> c.backbone();
            default -> throw new IllegalStateException(spec + ": " + module.getClass().getSimpleName() + " holds no known transformer");
        };
    }

    /** The model as a sequence classifier (a *ForSequenceClassification checkpoint, or one made by {@link #classifier(ClassifierSpec)}). */
    public SequenceClassifier classifier() {
        if (module() instanceof SequenceClassifier c) return c;
        throw new IllegalArgumentException(spec + ": architecture " + hfConfig.architecture() + " has no sequence classification head"
                + " (a *ForSequenceClassification checkpoint has one; start one with a fresh head from the labels)");
    }

    /** {@link #classifier(ClassifierSpec)} with the family's pooling, the checkpoint's head when its labels are these, seed 42. */
    public SequenceClassifier classifier(List<String> labels) {
        return classifier(ClassifierSpec.of(labels));
    }

    /**
     * The model as a sequence classifier with the spec's labels. A classifier checkpoint with the
     * same labels (and pooling) is used as it is. Otherwise the classifier is built anew around the
     * checkpoint's backbone weights: head weights the checkpoint has (BERT's pooler; the output layer
     * unless a fresh head is asked for) are loaded, the others drawn as Hugging Face initialises them
     * (normal(0, initializer_range) weights, zero biases) from the spec's seed. The new module
     * replaces any built before, and config, rules and {@link #save} follow the classifier's
     * Hugging Face class (e.g. LlamaForCausalLM becomes LlamaForSequenceClassification with
     * id2label, label2id and pad_token_id).
     *
     * @throws IllegalArgumentException when the checkpoint is a classifier with other labels or
     *                                  pooling and no fresh head was asked for, naming both
     */
    public synchronized SequenceClassifier classifier(ClassifierSpec want) {
        requireOpen();
        ClassLabels labels = new ClassLabels(want.labels());
        if (family.isSequenceClassifier(hfConfig) && !want.freshHead()) {
            SequenceClassifier have = classifier();
            if (!have.labels().equals(labels.names())) {
                throw new IllegalArgumentException(spec + ": the checkpoint is a " + hfConfig.architecture() + " with labels " + have.classLabels()
                        + ", not the requested " + labels + "; ask for a fresh head to replace its classifier");
            }
            if (want.pooling() != null && want.pooling() != have.pooling()) {
                throw new IllegalArgumentException(spec + ": the checkpoint's classifier pools " + have.pooling() + ", not the requested "
                        + want.pooling() + "; ask for a fresh head to replace it");
            }
            return have;
        }
        HfConfig hf = new HfConfig(family.classifierConfig(hfConfig, labels, want.pooling(), tokenizer), hfConfig.source());
        TransformerConfig c = ModelLoader.forLoading(family.config(hf));
        List<WeightRule> r = List.copyOf(family.weights(c, hf));
        SequenceClassifier made = (SequenceClassifier) family.build(c, hf);
        Set<String> loaded = loadAroundHead(made, r, want.freshHead());
        initHead(made, loaded, (float) hfConfig.getDouble("initializer_range", 0.02), want.seed());
        made.module().train(false);
        hfConfig = hf;
        config = c;
        rules = r;
        module = made.module();
        reheaded = true;
        return made;
    }

    /** Loads every rule's tensor except head tensors the checkpoint lacks or a fresh head replaces; returns the parameters loaded. */
    private Set<String> loadAroundHead(SequenceClassifier made, List<WeightRule> r, boolean freshHead) {
        Map<String, Parameter> head = made.headParameters();
        Set<Parameter> replaced = freshHead ? new HashSet<>(made.output().parameters()) : Set.of();
        Map<String, String> originals = originalNames();
        List<WeightRule> load = new ArrayList<>();
        Set<String> loaded = new HashSet<>();
        for (WeightRule rule : r) {
            boolean isHead = head.keySet().containsAll(rule.ours());
            boolean skip = isHead && (!originals.containsKey(rule.hfName()) || rule.ours().stream().anyMatch(o -> replaced.contains(head.get(o))));
            if (skip) continue;
            load.add(rule);
            loaded.addAll(rule.ours());
        }
        WeightMapper.load(made.module(), load, family, weights);
        return loaded;
    }

    /** Hugging Face's init of the head parameters not loaded, in registration order: N(0, std) weights, zero biases. */
    private static void initHead(SequenceClassifier made, Set<String> loaded, float std, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        made.headParameters().forEach((name, p) -> {
            if (!loaded.contains(name)) p.setValue(p.value().rank() == 1 ? Tensor.zeros(p.shape()) : Tensor.randn(rng, std, p.shape()));
        });
    }

    /** A classification head's class names in id order (config.json's id2label); empty for other models. Builds nothing. */
    public List<String> labels() {
        return family.isSequenceClassifier(hfConfig) ? ClassLabels.fromConfig(hfConfig).names() : List.of();
    }

    /**
     * The model's current weights under the checkpoint's names: the original spelling kept (e.g. a
     * "bert." prefix or none), or, after a new head, the names the classifier's class saves.
     */
    public Map<String, Tensor> exportWeights() {
        Map<String, Tensor> byRule = WeightMapper.export(module(), rules);
        Map<String, String> originals = reheaded ? Map.of() : originalNames();
        Map<String, Tensor> out = new LinkedHashMap<>();
        byRule.forEach((name, t) -> out.put(originals.getOrDefault(name, family.savedName(name, hfConfig)), t));
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
        OutputFolder.requireWritable(dir, "output folder");

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
        family.exportNotes(hfConfig).forEach((name, text) -> extras.put(name, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));

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
                throw new IOException("cannot move the staged export " + writeTo + " to " + target + ": " + IoErrors.describe(e), e);
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
