package dev.tune4j.recipe;

import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.model.PretrainedModel;

import java.util.List;

/** Instruction and chat examples rendered through the chat template into rows with loss on the responses. */
final class SftRows {
    private SftRows() {}

    static LanguageModelTask.LmRowBuilder builder(Recipe r, PretrainedModel base) {
        throw new UnsupportedOperationException("task sft: not yet");
    }

    static PromptEncoder promptEncoder(Recipe r, PretrainedModel base) {
        throw new UnsupportedOperationException("task sft: not yet");
    }

    static List<String> endOfTurn(Recipe r, PretrainedModel base) {
        return List.of();
    }
}
