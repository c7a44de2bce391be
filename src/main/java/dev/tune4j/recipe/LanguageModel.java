package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.io.IoErrors;
import dev.tune4j.io.peft.PeftAdapter;
import dev.tune4j.model.PretrainedModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A decoder opened for generation, with the metadata of the run that trained it (null when it did
 * not come from a run): how that run rendered its prompts, so generate and chat render them alike.
 */
public record LanguageModel(PretrainedModel model, JsonNode meta) implements AutoCloseable {

    public LanguageModel {
        if (!model.config().causal || !model.config().lmHead) {
            String spec = model.spec();
            model.close();
            throw new IllegalArgumentException(spec + " is not a causal language model with an LM head (an encoder or a classifier): it cannot generate text");
        }
    }

    /**
     * A decoder for generation: a run folder (its saved model, or its base with its adapter), a
     * model (folder, Hub id, builtin), or a model plus a PEFT adapter folder, applied unmerged.
     */
    public static LanguageModel open(String spec, Path adapter) {
        Path dir = Path.of(spec);
        try {
            Path runMeta = dir.resolve(RunFolder.RUN);
            if (adapter == null && Files.isDirectory(dir) && Files.exists(runMeta)) {
                JsonNode meta = Artifacts.readMeta(runMeta);
                if (meta.path("artifact").asText().equals("adapter")) return withLmAdapter(Artifacts.open(meta.path("base_model").asText()), dir.resolve("adapter"), meta);
                return new LanguageModel(Artifacts.open(dir.resolve("model").toString()), meta);
            }
            PretrainedModel base = Artifacts.open(spec);
            if (adapter == null) return new LanguageModel(base, null);
            Path m = adapter.resolve(Artifacts.TUNE4J_META);
            return withLmAdapter(base, adapter, Files.exists(m) ? Artifacts.readMeta(m) : null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + spec + ": " + IoErrors.describe(e), e);
        }
    }

    private static LanguageModel withLmAdapter(PretrainedModel base, Path adapter, JsonNode meta) throws IOException {
        try {
            if (!Files.isDirectory(adapter)) throw new IllegalArgumentException("adapter folder " + adapter + " does not exist");
            base.model();
            PeftAdapter.load(adapter, base);
            return new LanguageModel(base, meta);
        } catch (RuntimeException | IOException e) {
            base.close();
            throw e;
        }
    }


    /** How prompts become ids: through a chat template, and the tokens that close a turn there. */
    public record Chat(dev.tune4j.generate.PromptEncoder encoder, java.util.List<String> endOfTurn, String template,
                       dev.tune4j.tokenizer.ChatTemplate chatTemplate, String systemPrompt) {}

    /**
     * The chat template this model was instruction-tuned with (the run's choice and system prompt),
     * else the model's own, else ChatML with its special tokens; {@code systemPrompt} overrides the run's.
     */
    public Chat chat(String systemPrompt) {
        JsonNode sft = meta == null ? null : meta.path("sft");
        String choice = sft != null && sft.path("template").isTextual() ? sft.path("template").asText() : "auto";
        String system = systemPrompt != null ? systemPrompt
                : sft != null && sft.path("system_prompt").isTextual() ? sft.path("system_prompt").asText() : null;
        dev.tune4j.tokenizer.ChatTemplate t = SftRows.template(choice, model);
        return new Chat(SftRows.promptEncoder(t, model.requireTokenizer(), system), SftRows.endOfTurn(t), t.name(), t, system);
    }

    @Override
    public void close() { model.close(); }
}
