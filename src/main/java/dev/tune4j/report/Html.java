package dev.tune4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** Escaping and number formatting for the hand-written report pages (the run report, the data report, the audit page). */
public final class Html {
    /** Shown where a value is absent. */
    static final String NONE = "&mdash;";

    private Html() {}

    public static String esc(Object value) {
        if (value == null) return "";
        String s = value.toString();
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A number with {@code digits} decimals (integers with thousands separators), or {@link #NONE}. */
    static String num(JsonNode value, int digits) {
        if (value == null || !value.isNumber()) return NONE;
        return digits == 0
                ? String.format(Locale.ROOT, "%,d", Math.round(value.asDouble()))
                : String.format(Locale.ROOT, "%." + digits + "f", value.asDouble());
    }
}
