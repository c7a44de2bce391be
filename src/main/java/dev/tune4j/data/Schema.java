package dev.tune4j.data;

import java.util.List;
import java.util.Locale;

/**
 * The shapes of training data tune4j understands, each with its canonical field names (what a
 * prepared file holds). Source files may use other names: see {@link SchemaMapping}.
 */
public enum Schema {
    /** Plain text for language modelling: {@code text}. */
    TEXT(List.of("text"), List.of("text")),
    /** Text with a class: {@code text} + {@code label}. */
    CLASSIFICATION(List.of("text", "label"), List.of("text", "label")),
    /** Alpaca style: {@code instruction} + optional {@code input} + {@code output}. */
    INSTRUCTION(List.of("instruction", "input", "output"), List.of("instruction", "output")),
    /** A conversation: {@code messages}, a list of {role, content} (ShareGPT {from, value} is read too). */
    CHAT(List.of("messages"), List.of("messages")),
    /** Preference pairs: {@code prompt} + {@code chosen} + {@code rejected}. */
    PREFERENCE(List.of("prompt", "chosen", "rejected"), List.of("prompt", "chosen", "rejected"));

    /** Canonical fields, in output order. */
    public final List<String> fields;
    /** The canonical fields a row must have. */
    public final List<String> required;

    Schema(List<String> fields, List<String> required) {
        this.fields = fields;
        this.required = required;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Schema parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown schema '" + s + "' (expected text, classification, instruction, chat or preference)");
        }
    }

    /** Which part of a row a duplicate key is taken from (for instruction, chat and preference data). */
    public enum Side {
        PROMPT, RESPONSE, BOTH;

        public static Side parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown side '" + s + "' (expected prompt, response or both)");
            }
        }
    }
}
