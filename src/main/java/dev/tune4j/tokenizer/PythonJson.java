package dev.tune4j.tokenizer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} for the values a chat template sees (maps, lists, strings, numbers,
 * booleans, null), so that {@code tojson} writes the same characters as transformers: items
 * separated by {@code ", "} and keys by {@code ": "} (by {@code ","} and a newline when indented),
 * floats as Python's {@code repr}, and only {@code " \ } and control characters escaped unless
 * {@code ensure_ascii}.
 */
final class PythonJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final StringBuilder out = new StringBuilder();

    private PythonJson(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    /**
     * @param indent     null (one line), a number of spaces, or the indent string itself
     * @param separators null, or a two-element list (item separator, key separator)
     */
    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators, boolean sortKeys) {
        String indentText = switch (indent) {
            case null -> null;
            case Number n -> " ".repeat(Math.max(0, n.intValue()));
            default -> indent.toString();
        };
        String item = indentText == null ? ", " : ",", key = ": ";
        if (separators != null) {
            if (!(separators instanceof List<?> pair) || pair.size() != 2) {
                throw new IllegalArgumentException("tojson: separators must be a pair (item separator, key separator), got " + separators);
            }
            item = String.valueOf(pair.get(0));
            key = String.valueOf(pair.get(1));
        }
        PythonJson json = new PythonJson(ensureAscii, indentText, item, key, sortKeys);
        json.write(value, 0);
        return json.out.toString();
    }

    private void write(Object value, int depth) {
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Double d -> out.append(floatRepr(d));
            case Float f -> out.append(floatRepr(f.doubleValue()));
            case BigDecimal d -> out.append(floatRepr(d.doubleValue()));
            case Number n -> out.append(n);
            case CharSequence s -> string(s.toString());
            case Map<?, ?> m -> map(m, depth);
            case Collection<?> c -> list(c, depth);
            case Object[] a -> list(List.of(a), depth);
            default -> throw new IllegalArgumentException("tojson: a " + value.getClass().getSimpleName() + " is not JSON serializable");
        }
    }

    private void map(Map<?, ?> m, int depth) {
        if (m.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) entries.add(new Entry(key(e.getKey()), e.getValue()));
        if (sortKeys) entries.sort(Comparator.comparing(Entry::key));
        out.append('{');
        for (int i = 0; i < entries.size(); i++) {
            separate(i, depth + 1);
            string(entries.get(i).key());
            out.append(keySeparator);
            write(entries.get(i).value(), depth + 1);
        }
        close(depth);
        out.append('}');
    }

    private void list(Collection<?> c, int depth) {
        if (c.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        int i = 0;
        for (Object v : c) {
            separate(i++, depth + 1);
            write(v, depth + 1);
        }
        close(depth);
        out.append(']');
    }

    private record Entry(String key, Object value) { }

    /** Python turns non-string keys into their JSON text: 1 -> "1", True -> "true", None -> "null". */
    private static String key(Object k) {
        return switch (k) {
            case null -> "null";
            case Boolean b -> b ? "true" : "false";
            case Double d -> floatRepr(d);
            default -> k.toString();
        };
    }

    private void separate(int index, int depth) {
        if (index > 0) out.append(itemSeparator);
        if (indent != null) out.append('\n').append(indent.repeat(depth));
    }

    private void close(int depth) {
        if (indent != null) out.append('\n').append(indent.repeat(depth));
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || ensureAscii && c > 0x7f) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that read back to the same double, in
     * positional notation for decimal exponents -4..15 and as {@code 1.5e-07} / {@code 1e+16}
     * otherwise; whole numbers keep a {@code .0}.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();    // of the first digit
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
        if (digits.length() <= exponent + 1) return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }
}
