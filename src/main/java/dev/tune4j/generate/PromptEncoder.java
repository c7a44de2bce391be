package dev.tune4j.generate;

import dev.tune4j.tokenizer.Tokenizer;

/**
 * How a user's prompt becomes the ids a model continues: plain text for a base model, or the chat
 * template with the generation prompt for an instruction-tuned one. Training renders its examples
 * through the same template, so a model is prompted exactly as it was trained.
 */
public interface PromptEncoder {
    int[] encode(String prompt);

    /**
     * The text encoded with the tokenizer's own special tokens (a BOS where the tokenizer adds one),
     * without a trailing end-of-sequence token, which would tell the model the text is over.
     */
    static PromptEncoder plain(Tokenizer tok) {
        int eos = tok.specialTokens().eos();
        return prompt -> {
            int[] ids = tok.encode(prompt, Integer.MAX_VALUE).ids();
            int n = ids.length;
            while (n > 1 && eos >= 0 && ids[n - 1] == eos) n--;
            return java.util.Arrays.copyOf(ids, n);
        };
    }
}
