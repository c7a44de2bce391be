package dev.tune4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.io.SafetensorsFile;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One checkpoint of a training run: the loop's {@link TrainState}, the trainable weights (what the
 * optimizer updates: the adapters and the head under LoRA, nothing frozen), the optimizer's state,
 * the thread count the run computed with (the reduction order: a bit-exact resume needs the same
 * count), and a fingerprint of what the run was started with, which its caller fills in and
 * compares on resume (recipe, base model, data). As a folder:
 * <pre>
 *   weights.safetensors    trainable parameters, float32, by tune4j name
 *   optimizer.safetensors  per-parameter buffers (Adam's moments, ...); the scalars in its metadata
 *   best.safetensors       the best evaluation's weights, when kept and not the current ones
 *   state.json             the TrainState and the thread count
 *   fingerprint.json       the caller's fingerprint
 *   manifest.json          byte size and SHA-256 of each file above; written last
 * </pre>
 * Every file is forced to disk as it is written. {@link #read} checks every file against the
 * manifest before it parses any, so a truncated or corrupted checkpoint is refused, never half used.
 */
public record TrainCheckpoint(TrainState state, Map<String, Tensor> weights, Map<String, Tensor> optimizerTensors,
                              Map<String, Object> optimizerScalars, int threads, ObjectNode fingerprint) {
    static final String WEIGHTS = "weights.safetensors", OPTIMIZER = "optimizer.safetensors", BEST = "best.safetensors",
            STATE = "state.json", FINGERPRINT = "fingerprint.json", MANIFEST = "manifest.json";
    private static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Called before each file is written: lets a test make the disk fail at a chosen file. */
    @FunctionalInterface
    interface BeforeFile {
        void check(String name) throws IOException;
    }

    public TrainCheckpoint withFingerprint(ObjectNode f) {
        return new TrainCheckpoint(state, weights, optimizerTensors, optimizerScalars, threads, f);
    }

    /** Writes the files into the new, empty folder {@code dir}, the manifest last. */
    public void write(Path dir) throws IOException {
        write(dir, name -> {});
    }

    void write(Path dir, BeforeFile before) throws IOException {
        Map<String, Object> files = new LinkedHashMap<>();
        before.check(WEIGHTS);
        tensors(weights, Map.of()).write(dir.resolve(WEIGHTS));
        files.put(WEIGHTS, describe(dir.resolve(WEIGHTS)));
        before.check(OPTIMIZER);
        Map<String, String> scalars = new LinkedHashMap<>();
        optimizerScalars.forEach((k, v) -> scalars.put(k, String.valueOf(v)));
        tensors(optimizerTensors, scalars).write(dir.resolve(OPTIMIZER));
        files.put(OPTIMIZER, describe(dir.resolve(OPTIMIZER)));
        if (separateBest()) {
            before.check(BEST);
            tensors(state.bestWeights, Map.of()).write(dir.resolve(BEST));
            files.put(BEST, describe(dir.resolve(BEST)));
        }
        ObjectNode s = JSON.createObjectNode().put("format", FORMAT).put("threads", threads);
        s.set("state", state.toJson());
        Map<String, JsonNode> json = new LinkedHashMap<>();
        json.put(STATE, s);
        json.put(FINGERPRINT, fingerprint == null ? JSON.createObjectNode() : fingerprint);
        for (var e : json.entrySet()) {
            before.check(e.getKey());
            writeFile(dir.resolve(e.getKey()), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(e.getValue()));
            files.put(e.getKey(), describe(dir.resolve(e.getKey())));
        }
        before.check(MANIFEST);
        ObjectNode manifest = JSON.createObjectNode().put("format", FORMAT).put("step", state.step);
        manifest.set("files", JSON.valueToTree(files));
        writeFile(dir.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
    }

    /** Best weights are stored apart unless they are the current ones (the best evaluation is this step's). */
    private boolean separateBest() {
        return state.bestWeights != null && state.bestStep != state.step;
    }

    /**
     * Reads a checkpoint folder after checking each file's size and SHA-256 against the manifest.
     *
     * @throws IOException naming the file and what is wrong with it: missing, truncated, corrupt, unreadable
     */
    public static TrainCheckpoint read(Path dir) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) throw new IOException(MANIFEST + " is missing (the checkpoint was not finished)");
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestFile.toFile());
        } catch (IOException e) {
            throw new IOException(MANIFEST + " is not valid JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (manifest.path("format").asInt() != FORMAT) throw new IOException(MANIFEST + ": unknown format " + manifest.path("format"));
        JsonNode files = manifest.path("files");
        for (String required : List.of(WEIGHTS, OPTIMIZER, STATE, FINGERPRINT)) {
            if (!files.has(required)) throw new IOException(MANIFEST + " does not list " + required);
        }
        for (var e : files.properties()) verify(dir.resolve(e.getKey()), e.getValue());

        JsonNode s = JSON.readTree(dir.resolve(STATE).toFile());
        Map<String, Tensor> weights = readTensors(dir.resolve(WEIGHTS), null);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> optTensors = readTensors(dir.resolve(OPTIMIZER), metadata);
        metadata.remove("format");
        Map<String, Object> scalars = new LinkedHashMap<>(metadata);
        JsonNode st = s.path("state");
        Map<String, Tensor> best = null;
        if (st.path("best_weights_kept").asBoolean()) {
            best = files.has(BEST) ? readTensors(dir.resolve(BEST), null) : copies(weights);
        }
        TrainState state;
        try {
            state = TrainState.fromJson(st, best);
        } catch (IllegalArgumentException e) {
            throw new IOException(STATE + ": " + e.getMessage());
        }
        if (state.step != manifest.path("step").asInt()) throw new IOException(STATE + " is at update " + state.step + " but the manifest says " + manifest.path("step"));
        ObjectNode fingerprint = (ObjectNode) JSON.readTree(dir.resolve(FINGERPRINT).toFile());
        return new TrainCheckpoint(state, weights, optTensors, scalars, s.path("threads").asInt(), fingerprint);
    }

    private static SafetensorsWriter tensors(Map<String, Tensor> tensors, Map<String, String> metadata) {
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        metadata.forEach(w::metadata);
        tensors.forEach(w::add);
        return w;
    }

    private static Map<String, Tensor> readTensors(Path file, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) out.put(name, f.tensor(name).copy()); // on the heap: the file is closed below
            if (metadata != null) metadata.putAll(f.metadata());
        }
        return out;
    }

    private static Map<String, Tensor> copies(Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    private static Map<String, Object> describe(Path file) throws IOException {
        return Map.of("bytes", Files.size(file), "sha256", sha256(file));
    }

    private static void verify(Path file, JsonNode expected) throws IOException {
        String name = file.getFileName().toString();
        if (!Files.isRegularFile(file)) throw new IOException(name + " is missing");
        long size = Files.size(file), want = expected.path("bytes").asLong(-1);
        if (size != want) throw new IOException(name + " has " + size + " bytes, the manifest says " + want + " (truncated or overwritten)");
        if (!sha256(file).equals(expected.path("sha256").asText())) throw new IOException(name + ": SHA-256 does not match the manifest (the file is corrupt)");
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Writes a small file and forces it to disk. */
    static void writeFile(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
    }
}
