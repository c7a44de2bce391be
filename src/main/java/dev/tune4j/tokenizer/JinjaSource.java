package dev.tune4j.tokenizer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites two Python-Jinja expressions that jinjava's parser reads differently, inside the
 * template's {@code {{ }}} and {@code {% %}} code only (text, comments and raw blocks stay as they
 * are):
 * <ul>
 *   <li>{@code name[::-1]}: jinjava has no step slices; Qwen templates walk
 *       {@code messages[::-1]}, which is {@code (name|reverse)};</li>
 *   <li>keyword arguments whose value holds an operator: jinjava reads
 *       {@code namespace(last=messages|length - 1)} as {@code (last=messages|length) - 1}; every
 *       keyword value is put in parentheses, {@code namespace(last=(messages|length - 1))}
 *       (macro signatures excepted).</li>
 * </ul>
 */
final class JinjaSource {
    private static final Pattern REVERSED_SLICE = Pattern.compile("\\b([A-Za-z_]\\w*(?:\\.[A-Za-z_]\\w*)*)\\[::-1]");
    private static final Pattern RAW = Pattern.compile("\\s*-?\\s*raw\\s*-?\\s*");
    private static final Pattern END_RAW = Pattern.compile("\\{%-?\\s*endraw");
    private static final Pattern MACRO = Pattern.compile("\\s*-?\\s*macro\\b.*", Pattern.DOTALL);

    private JinjaSource() { }

    static String forJinjava(String source) {
        StringBuilder out = new StringBuilder(source.length() + 32);
        int i = 0;
        while (i < source.length()) {
            int open = source.indexOf('{', i);
            while (open >= 0 && (open + 1 >= source.length() || "{%#".indexOf(source.charAt(open + 1)) < 0)) open = source.indexOf('{', open + 1);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open);
            char kind = source.charAt(open + 1);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int end = kind == '#' ? source.indexOf(close, open + 2) : codeEnd(source, open + 2, close);
            if (end < 0) {
                out.append(source, open, source.length());
                break;
            }
            String code = source.substring(open + 2, end);
            out.append(source, open, open + 2).append(kind == '#' ? code : rewrite(code)).append(close);
            i = end + 2;
            if (kind == '%' && RAW.matcher(code).matches()) {
                Matcher endRaw = END_RAW.matcher(source);
                int stop = endRaw.find(i) ? endRaw.start() : source.length();
                out.append(source, i, stop);
                i = stop;
            }
        }
        return out.toString();
    }

    /** Where the code started at {@code from} ends: the first {@code close} outside a string literal, or -1. */
    private static int codeEnd(String source, int from, String close) {
        char quote = 0;
        for (int j = from; j < source.length(); j++) {
            char c = source.charAt(j);
            if (quote != 0) {
                if (c == '\\') j++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (source.startsWith(close, j)) {
                return j;
            }
        }
        return -1;
    }

    private static String rewrite(String code) {
        String reversed = REVERSED_SLICE.matcher(code).replaceAll("($1|reverse)");
        return MACRO.matcher(reversed).matches() ? reversed : parenthesizeKeywordValues(reversed);
    }

    private static String parenthesizeKeywordValues(String code) {
        StringBuilder out = new StringBuilder(code.length() + 8);
        Deque<Character> brackets = new ArrayDeque<>();
        Deque<Integer> openValues = new ArrayDeque<>();     // bracket depth of each keyword value left open
        char quote = 0, previous = 0;
        for (int j = 0; j < code.length(); j++) {
            char c = code.charAt(j);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && j + 1 < code.length()) out.append(code.charAt(++j));
                else if (c == quote) quote = 0;
                continue;
            }
            if ((c == ',' || c == ')') && !openValues.isEmpty() && openValues.peek() == brackets.size()) {
                out.append(')');
                openValues.pop();
            }
            if (Character.isJavaIdentifierStart(c) && (previous == '(' || previous == ',') && !brackets.isEmpty() && brackets.peek() == '(') {
                int k = j;
                while (k < code.length() && Character.isJavaIdentifierPart(code.charAt(k))) k++;
                int eq = k;
                while (eq < code.length() && code.charAt(eq) == ' ') eq++;
                boolean keyword = eq < code.length() && code.charAt(eq) == '=' && (eq + 1 == code.length() || code.charAt(eq + 1) != '=');
                out.append(code, j, keyword ? eq + 1 : k);
                if (keyword) {
                    out.append('(');
                    openValues.push(brackets.size());
                }
                previous = keyword ? '=' : code.charAt(k - 1);
                j = (keyword ? eq + 1 : k) - 1;
                continue;
            }
            out.append(c);
            switch (c) {
                case '\'', '"' -> quote = c;
                case '(', '[', '{' -> brackets.push(c);
                case ')', ']', '}' -> { if (!brackets.isEmpty()) brackets.pop(); }
                default -> { }
            }
            if (!Character.isWhitespace(c)) previous = c;
        }
        while (!openValues.isEmpty()) {
            out.append(')');
            openValues.pop();
        }
        return out.toString();
    }
}
