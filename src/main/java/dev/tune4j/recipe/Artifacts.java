package dev.tune4j.recipe;

import dev.tune4j.io.IoErrors;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.data.clean.Cleaner;
import dev.tune4j.io.peft.PeftAdapter;
import dev.tune4j.io.hub.HubId;
import dev.tune4j.model.ClassifierSpec;
import dev.tune4j.model.Lora;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a method makes of a run and how it comes back: full and partial fine-tuning save the whole
 * classifier as a Hugging Face folder ({@code model/}); LoRA saves a PEFT adapter ({@code adapter/})
 * with the head as a module to save. {@code run.json} (in the run folder and beside an adapter)
 * records what loading needs besides the weights: base model, labels, pooling, length, cleaning.
 */
final class Artifacts {
    static final String TUNE4J_META = "tune4j-run.json";

    private Artifacts() {}

    /**
     * The model a task trains: the module the optimizer sees, its transformer, the task head's
     * parameters, and what loading it back needs to know (labels and pooling: classification only).
     */
    record Trainable(Module module, Transformer backbone, Collection<Parameter> head, List<String> labels, String pooling) {
        static Trainable of(SequenceClassifier c) {
            return new Trainable(c.module(), c.backbone(), c.headParameters().values(), c.labels(), c.pooling().name().toLowerCase(Locale.ROOT));
        }
    }

    /** Saves a method's result into the run folder; returns the path written. */
    interface Method {
        Path save(RunFolder folder, PretrainedModel base, Trainable model, Recipe r, RunData.Cleaning cleaning);
    }

    /** LoRA: the adapters it injected (a reference model switches them off) and how they are saved. */
    record AdapterMethod(LoraAdapters adapters) implements Method {
        public Path save(RunFolder folder, PretrainedModel base, Trainable model, Recipe r, RunData.Cleaning cleaning) {
            return saveAdapter(folder, base, adapters, r, model, cleaning);
        }
    }

    /** Makes the model trainable as the recipe's method says. */
    static Method apply(Recipe r, PretrainedModel base, Trainable model) {
        if (r.train().init().equals("random")) Methods.reinitialise(model.backbone());
        return switch (r.method()) {
            case "full" -> {
                model.module().unfreezeAll();
                yield Artifacts::saveModel;
            }
            case "partial" -> {
                Methods.partial(model.module(), model.backbone(), r.partial(), hfNames(base));
                yield Artifacts::saveModel;
            }
            case "head" -> {
                if (model.head().isEmpty()) throw new IllegalArgumentException("method head: this model has no separate task head to train");
                model.module().freeze(name -> true);
                for (Parameter p : model.head()) p.setFrozen(false);
                yield Artifacts::saveModel;
            }
            case "lora" -> {
                yield new AdapterMethod(Lora.inject(base, loraConfig(r, model)));
            }
            default -> throw new IllegalArgumentException("unknown method " + r.method());
        };
    }

    /**
     * The recipe's LoRA settings. Unless the recipe names its modules to save, the whole task head
     * trains: the output layer and BERT's pooler, which a classifier started on a checkpoint without
     * one (sentence-transformers exports such as the built-in MiniLM) draws fresh.
     */
    static LoraConfig loraConfig(Recipe r, Trainable model) {
        Recipe.Lora l = r.lora();
        LoraConfig c = LoraConfig.of(l.r(), l.alpha()).withDropout(l.dropout()).withRslora(l.useRslora()).withSeed(r.train().seed());
        JsonNode t = l.targetModules();
        if (t != null && t.isTextual()) c = c.withTargetRegex(t.asText());
        else if (t != null && t.isArray()) {
            List<String> names = new ArrayList<>();
            t.forEach(n -> names.add(n.asText()));
            c = c.withTargetModules(names);
        }
        if (l.modulesToSave() != null) c = c.withModulesToSave(l.modulesToSave());
        else if (model.pooling() != null) {
            c = c.withModulesToSave(switch (model.pooling()) {
                case "cls" -> List.of("classifier", "pooler");
                case "mean" -> List.of("classifier");
                default -> List.of("score");
            });
        }
        return c;
    }

    /** tune4j parameter name -> Hugging Face tensor name, for globs that use either. */
    private static Map<String, String> hfNames(PretrainedModel base) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var rule : base.rules()) for (String o : rule.ours()) out.put(o, rule.hfName());
        return out;
    }

    private static Path saveModel(RunFolder folder, PretrainedModel base, Trainable model, Recipe r, RunData.Cleaning cleaning) {
        Path dir = folder.resolve("model");
        try {
            base.save(dir, DType.F32, 5L << 30);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the model to " + dir + ": " + IoErrors.describe(e), e);
        }
        folder.writeJson(RunFolder.RUN, meta(r, model, cleaning, "model"));
        return dir;
    }

    private static Path saveAdapter(RunFolder folder, PretrainedModel base, LoraAdapters adapters, Recipe r, Trainable model, RunData.Cleaning cleaning) {
        Path dir = folder.resolve("adapter");
        try {
            PeftAdapter.save(dir, base, adapters);
            Map<String, Object> meta = meta(r, model, cleaning, "adapter");
            Files.writeString(dir.resolve(TUNE4J_META), Json.pretty(meta) + "\n");
            folder.writeJson(RunFolder.RUN, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the adapter to " + dir + ": " + IoErrors.describe(e), e);
        }
        return dir;
    }

    private static Map<String, Object> meta(Recipe r, Trainable model, RunData.Cleaning cleaning, String artifact) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", 1);
        m.put("task", r.task());
        Path local = Path.of(r.model());
        m.put("base_model", Files.exists(local) ? local.toAbsolutePath().normalize().toString() : r.model());
        m.put("method", r.method());
        m.put("artifact", artifact);
        if (model.labels() != null) {
            m.put("labels", model.labels());
            m.put("pooling", model.pooling());
        }
        m.put("max_length", r.data().maxLength());
        if (r.task().equals("sft")) {
            Map<String, Object> sft = new LinkedHashMap<>();
            sft.put("template", r.sft().template());
            sft.put("system_prompt", r.sft().systemPrompt());
            m.put("sft", sft);
        }
        m.put("eval_batch_size", r.eval().batchSize());
        m.put("cleaning", Map.of("rules", cleaning.rules().stream().map(Cleaner.Rule::id).toList(), "mail", cleaning.mail()));
        return m;
    }

    /** See {@link FineTune#load}. */
    static TextClassifier load(Path dir, Path adapter) {
        if (!Files.isDirectory(dir) && !HubId.matches(dir.toString())) throw new IllegalArgumentException("--model " + dir + " is not a folder or a Hub id");
        try {
            Path runMeta = dir.resolve(RunFolder.RUN);
            if (adapter == null && Files.exists(runMeta)) {
                JsonNode meta = readMeta(runMeta);
                if (meta.path("artifact").asText().equals("adapter")) return withAdapter(open(meta.path("base_model").asText()), dir.resolve("adapter"), meta);
                return classifier(open(dir.resolve("model").toString()), meta);
            }
            PretrainedModel base = open(dir.toString());
            if (adapter != null) {
                Path m = adapter.resolve(TUNE4J_META);
                JsonNode meta = Files.exists(m) ? readMeta(m) : null;
                return withAdapter(base, adapter, meta);
            }
            return classifier(base, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + dir + ": " + IoErrors.describe(e), e);
        }
    }

    static void prepareForAdapter(PretrainedModel base, Path adapter) {
        Path m = adapter.resolve(TUNE4J_META);
        if (!Files.exists(m)) return;
        try {
            JsonNode meta = readMeta(m);
            if (meta.has("labels")) base.classifier(spec(meta));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + m + ": " + IoErrors.describe(e), e);
        }
    }

    private static TextClassifier withAdapter(PretrainedModel base, Path adapter, JsonNode meta) throws IOException {
        try {
            if (!Files.isDirectory(adapter)) throw new IllegalArgumentException("adapter folder " + adapter + " does not exist");
            SequenceClassifier model;
            if (meta != null) model = base.classifier(spec(meta));
            else model = base.classifier(); // the base must already be a classifier: nothing says what the labels are
            PeftAdapter.load(adapter, base);
            return new TextClassifier(base, model, maxLength(meta, base), cleaning(meta), batchSize(meta));
        } catch (RuntimeException | IOException e) {
            base.close();
            throw e;
        }
    }

    private static TextClassifier classifier(PretrainedModel m, JsonNode meta) {
        try {
            return new TextClassifier(m, m.classifier(), maxLength(meta, m), cleaning(meta), batchSize(meta));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static ClassifierSpec spec(JsonNode meta) {
        List<String> labels = new ArrayList<>();
        meta.path("labels").forEach(n -> labels.add(n.asText()));
        String pooling = meta.path("pooling").asText("");
        ClassifierSpec s = ClassifierSpec.of(labels);
        return pooling.equals("mean") ? s.withPooling(SequenceClassifier.Pooling.MEAN) : s;
    }

    /** The run's length; without a run, 512 tokens or the model's positions if it has fewer (longer texts are cut). */
    private static int maxLength(JsonNode meta, PretrainedModel m) {
        int fallback = Math.min(512, m.config().maxPositions);
        return meta == null ? fallback : meta.path("max_length").asInt(fallback);
    }

    private static int batchSize(JsonNode meta) {
        return meta == null ? 32 : meta.path("eval_batch_size").asInt(32);
    }

    private static RunData.Cleaning cleaning(JsonNode meta) {
        if (meta == null) return RunData.Cleaning.none();
        EnumSet<Cleaner.Rule> rules = EnumSet.noneOf(Cleaner.Rule.class);
        for (JsonNode n : meta.path("cleaning").path("rules")) {
            for (Cleaner.Rule r : Cleaner.Rule.values()) if (r.id().equals(n.asText())) rules.add(r);
        }
        return new RunData.Cleaning(rules, meta.path("cleaning").path("mail").asText("auto"));
    }

    static JsonNode readMeta(Path f) throws IOException {
        try {
            return Json.MAPPER.readTree(Files.readString(f));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(f + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    static PretrainedModel open(String spec) {
        return ClassificationTask.open(spec);
    }

}
