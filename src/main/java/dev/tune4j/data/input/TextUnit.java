package dev.tune4j.data.input;

import java.util.Locale;

/** How plain text is cut into rows (the same choices as Hugging Face's {@code text} loader). */
public enum TextUnit {
    LINE, PARAGRAPH, FILE;

    public static TextUnit parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown text unit '" + s + "' (expected line, paragraph or file)");
        }
    }
}
