package dev.tune4j.cli;

import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.recipe.LanguageModel;

import java.util.List;

/** How generate and chat turn text into prompt ids, and which template tokens end a turn. */
record Prompting(PromptEncoder encoder, List<String> endOfTurn) {
    static Prompting chat(LanguageModel lm) {
        throw new IllegalArgumentException("--chat: chat templates are not available yet");
    }
}
