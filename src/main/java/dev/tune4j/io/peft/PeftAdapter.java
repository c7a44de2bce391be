package dev.tune4j.io.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.io.SafetensorsFile;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.model.Lora;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * LoRA adapters in Hugging Face PEFT's folder layout, as {@code PeftModel.save_pretrained} writes
 * it and {@code PeftModel.from_pretrained} reads it:
 * <ul>
 *   <li>{@value #CONFIG_FILE}: the LoraConfig ({@code peft_type "LORA"}, {@code r},
 *       {@code lora_alpha}, {@code target_modules}, {@code modules_to_save}, ...), keys sorted;</li>
 *   <li>{@value #WEIGHTS_FILE}: {@value #PREFIX} + the Hugging Face model's module path +
 *       {@code .lora_A.weight} [r, in] and {@code .lora_B.weight} [out, r] (float32), and each
 *       module to save's tensors under {@value #PREFIX} + their own names, e.g.
 *       {@code base_model.model.classifier.weight}.</li>
 * </ul>
 * PEFT wraps the model twice (PeftModel.base_model is the LoraModel, whose .model is the Hugging
 * Face model), hence the prefix; the adapter's name ("default") is stripped from saved keys.
 */
public final class PeftAdapter {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String PREFIX = "base_model.model.";

    private PeftAdapter() {}

    /**
     * Writes {@code adapters} (attached to {@code base}) into {@code dir}, created if needed: the
     * weights, then the config, each file atomically.
     *
     * @return the files written
     */
    public static List<Path> save(Path dir, PretrainedModel base, LoraAdapters adapters) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter writer = new SafetensorsWriter(DType.F32);
        adapters.stateDict().forEach((name, t) -> writer.add(PREFIX + name, t));
        Path weights = dir.resolve(WEIGHTS_FILE);
        writer.write(weights);
        Path config = dir.resolve(CONFIG_FILE);
        atomicWrite(config, Json.pretty(configJson(base, adapters)).getBytes(StandardCharsets.UTF_8));
        return List.of(weights, config);
    }

    /** The task PEFT wraps such a model for: a sequence classifier, a causal LM, or a bare encoder. */
    public static String taskType(Module module) {
        if (module instanceof SequenceClassifier) return "SEQ_CLS";
        if (module instanceof Transformer t && t.config.lmHead) return "CAUSAL_LM";
        return "FEATURE_EXTRACTION";
    }

    /** adapter_config.json as recent PEFT versions write it for a plain LoRA (sorted keys, defaults for what tune4j does not use). */
    static ObjectNode configJson(PretrainedModel base, LoraAdapters adapters) {
        LoraConfig c = adapters.config();
        Map<String, Object> m = new TreeMap<>();
        m.put("alpha_pattern", Map.of());
        m.put("auto_mapping", null);
        m.put("base_model_name_or_path", base.spec());
        m.put("bias", "none");
        m.put("corda_config", null);
        m.put("eva_config", null);
        m.put("exclude_modules", null);
        m.put("fan_in_fan_out", adapters.fanInFanOut());
        m.put("inference_mode", true);
        m.put("init_lora_weights", true);
        m.put("layer_replication", null);
        m.put("layers_pattern", null);
        m.put("layers_to_transform", null);
        m.put("loftq_config", Map.of());
        m.put("lora_alpha", c.alpha() == Math.rint(c.alpha()) ? (Object) (long) c.alpha() : (Object) c.alpha());
        m.put("lora_bias", false);
        m.put("lora_dropout", c.dropout());
        m.put("megatron_config", null);
        m.put("megatron_core", "megatron.core");
        m.put("modules_to_save", c.modulesToSave().isEmpty() ? null : c.modulesToSave());
        m.put("peft_type", "LORA");
        m.put("r", c.r());
        m.put("rank_pattern", Map.of());
        m.put("revision", null);
        m.put("target_modules", c.targetRegex() != null ? c.targetRegex() : c.targetModules());
        m.put("task_type", taskType(base.module()));
        m.put("trainable_token_indices", null);
        m.put("use_dora", false);
        m.put("use_rslora", c.useRslora());
        return Json.MAPPER.valueToTree(m);
    }

    /**
     * The LoRA settings in {@code dir}'s adapter_config.json. Settings that would change the
     * maths and that tune4j does not implement (DoRA, a trained bias, per-module ranks, layer
     * selection, ...) are refused by name; initialisation settings are ignored, and
     * {@code fan_in_fan_out} follows from the layer type, as in PEFT. The seed is 0.
     */
    public static LoraConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + ": no " + CONFIG_FILE + " (not a PEFT adapter folder)");
        JsonNode j;
        try {
            j = Json.MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (j == null || !j.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object");
        String type = j.path("peft_type").asText("");
        if (!type.equals("LORA")) throw new IllegalArgumentException(file + ": peft_type '" + type + "' is not supported (only LORA)");
        refuse(file, j, "bias", v -> !v.asText().equals("none"), "a trained bias (only \"none\")");
        refuse(file, j, "use_dora", JsonNode::asBoolean, "DoRA");
        refuse(file, j, "lora_bias", JsonNode::asBoolean, "a bias on lora_B");
        refuse(file, j, "rank_pattern", v -> !v.isEmpty(), "per-module ranks");
        refuse(file, j, "alpha_pattern", v -> !v.isEmpty(), "per-module alphas");
        refuse(file, j, "layers_to_transform", v -> !v.isArray() || !v.isEmpty(), "layer selection");
        refuse(file, j, "exclude_modules", v -> !v.isArray() || !v.isEmpty(), "exclude_modules");
        refuse(file, j, "target_parameters", v -> !v.isArray() || !v.isEmpty(), "target_parameters");
        refuse(file, j, "trainable_token_indices", v -> true, "trainable tokens");
        refuse(file, j, "layer_replication", v -> true, "layer replication");
        refuse(file, j, "use_qalora", JsonNode::asBoolean, "QA-LoRA");

        int r = j.path("r").asInt(8);
        double alpha = j.path("lora_alpha").asDouble(8);
        double dropout = j.path("lora_dropout").asDouble(0);
        boolean rslora = j.path("use_rslora").asBoolean(false);
        JsonNode targets = j.path("target_modules");
        List<String> names = null;
        String regex = null;
        if (targets.isTextual()) {
            regex = targets.asText();
        } else if (targets.isArray()) {
            names = strings(file, "target_modules", targets);
        } else {
            throw new IllegalArgumentException(file + ": target_modules must be a list of module names or one regex string");
        }
        JsonNode save = j.path("modules_to_save");
        List<String> modulesToSave = save.isArray() ? strings(file, "modules_to_save", save) : List.of();
        try {
            return new LoraConfig(r, alpha, dropout, names, regex, rslora, modulesToSave, 0);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    /**
     * Attaches the adapter in {@code dir} to {@code model} ({@link Lora#inject} with its config)
     * and loads its weights. Of {@code modules_to_save}, the names the weights file holds tensors
     * for are loaded; the rest (PEFT adds "classifier" and "score" for any sequence classifier)
     * carried nothing and are dropped. Errors name the file, the tensor and the reason; after one
     * the model may hold freshly injected adapters, so load the base again.
     */
    public static LoraAdapters load(Path dir, PretrainedModel model) throws IOException {
        LoraConfig config = readConfig(dir);
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            String hint = Files.exists(dir.resolve("adapter_model.bin")) ? " (adapter_model.bin, a pickle, is not read: save with safe_serialization)" : "";
            throw new IllegalArgumentException(dir + ": no " + WEIGHTS_FILE + hint);
        }
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : weights.names()) tensors.put(name, weights.tensor(name));
            List<String> saved = new ArrayList<>();
            for (String m : config.modulesToSave()) if (holdsModule(tensors, m)) saved.add(m);
            LoraAdapters adapters = Lora.inject(model, config.withModulesToSave(saved));
            adapters.loadStateDict(tensors, PREFIX, file.toString());
            return adapters;
        }
    }

    /** Whether a non-LoRA tensor lies in a module named m (the module path is m or ends with "." + m). */
    private static boolean holdsModule(Map<String, Tensor> tensors, String m) {
        for (String full : tensors.keySet()) {
            if (!full.startsWith(PREFIX) || full.contains(".lora_")) continue;
            String name = full.substring(PREFIX.length());
            for (int i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
                String module = name.substring(0, i);
                if (module.equals(m) || module.endsWith("." + m)) return true;
            }
        }
        return false;
    }

    private static void refuse(Path file, JsonNode j, String key, java.util.function.Predicate<JsonNode> unsupported, String what) {
        JsonNode v = j.get(key);
        if (v != null && !v.isNull() && unsupported.test(v)) {
            throw new IllegalArgumentException(file + ": " + key + " = " + v + " asks for " + what + ", which tune4j does not support");
        }
    }

    private static List<String> strings(Path file, String key, JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            if (!n.isTextual()) throw new IllegalArgumentException(file + ": " + key + " must hold strings, got " + n);
            out.add(n.asText());
        }
        return out;
    }

    private static void atomicWrite(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
