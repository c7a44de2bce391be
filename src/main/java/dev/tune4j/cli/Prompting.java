package dev.tune4j.cli;

import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.recipe.LanguageModel;

import java.util.List;

/** How generate turns text into prompt ids, and which template tokens end a turn. */
record Prompting(PromptEncoder encoder, List<String> endOfTurn) {
    static Prompting chat(LanguageModel lm) {
        LanguageModel.Chat c = lm.chat(null);
        return new Prompting(c.encoder(), c.endOfTurn());
    }
}
