package dev.tune4j.tokenizer;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Python's {@code str} methods that chat templates call on strings ({@code content.startswith(...)},
 * {@code .split('</think>')}, {@code .lstrip('\n')}, ...), with Python's meaning where Java's
 * method of the same name differs ({@code split} takes a literal separator, not a regex; the
 * strips take a set of characters). Other calls fall through to jinjava's own resolution.
 */
final class PythonStrings extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object result = switch (name) {
            case "startswith" -> p.length == 1 ? anyMatch(p[0], s::startsWith) : null;
            case "endswith" -> p.length == 1 ? anyMatch(p[0], s::endsWith) : null;
            case "strip" -> p.length <= 1 ? strip(s, chars(p), true, true) : null;
            case "lstrip" -> p.length <= 1 ? strip(s, chars(p), true, false) : null;
            case "rstrip" -> p.length <= 1 ? strip(s, chars(p), false, true) : null;
            case "split" -> p.length <= 2 ? split(s, p.length > 0 ? p[0] : null, p.length > 1 ? ((Number) p[1]).intValue() : -1) : null;
            case "upper" -> p.length == 0 ? s.toUpperCase(Locale.ROOT) : null;
            case "lower" -> p.length == 0 ? s.toLowerCase(Locale.ROOT) : null;
            case "title" -> p.length == 0 ? title(s) : null;
            case "capitalize" -> p.length == 0 ? capitalize(s) : null;
            case "join" -> p.length == 1 && p[0] instanceof Iterable<?> items ? join(s, items) : null;
            default -> null;
        };
        if (result != null) context.setPropertyResolved(true);
        return result;
    }

    /** Python's startswith/endswith take one string or a tuple of them. */
    private static Boolean anyMatch(Object arg, java.util.function.Predicate<String> test) {
        if (arg instanceof String one) return test.test(one);
        if (arg instanceof Iterable<?> many) {
            for (Object o : many) if (test.test(String.valueOf(o))) return true;
            return false;
        }
        return null;
    }

    private static String chars(Object[] p) {
        return p.length == 0 || p[0] == null ? null : p[0].toString();
    }

    /** {@code chars} null: Python's whitespace. */
    private static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0, end = s.length();
        while (left && start < end && strippable(s.charAt(start), chars)) start++;
        while (right && end > start && strippable(s.charAt(end - 1), chars)) end--;
        return s.substring(start, end);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085' || (c >= 0x1c && c <= 0x1f) : chars.indexOf(c) >= 0;
    }

    /** Python's split: on runs of whitespace (no empty parts) without a separator, else on the literal separator. */
    private static List<String> split(String s, Object separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && strippable(s.charAt(i), null)) i++;
                if (i == s.length()) break;
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(s.substring(i));
                    break;
                }
                int j = i;
                while (j < s.length() && !strippable(s.charAt(j), null)) j++;
                parts.add(s.substring(i, j));
                i = j;
            }
            return parts;
        }
        String sep = separator.toString();
        if (sep.isEmpty()) throw new IllegalArgumentException("split: empty separator");
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxSplit < 0 || parts.size() < maxSplit); at = s.indexOf(sep, from)) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean inWord = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean cased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            out.append(!cased ? c : inWord ? Character.toLowerCase(c) : Character.toTitleCase(c));
            inWord = cased;
        }
        return out.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    private static String join(String separator, Iterable<?> items) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object o : items) {
            if (!first) out.append(separator);
            out.append(o);
            first = false;
        }
        return out.toString();
    }

    // This resolver only answers method calls; properties are left to the others.

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) { return null; }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) { return null; }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) { return null; }

    @Override
    public Object getValue(ELContext context, Object base, Object property) { return null; }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) { return true; }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) { }
}
