package dev.tune4j.tokenizer;

import dev.tune4j.tokenizer.ChatTemplate.Rendered;
import dev.tune4j.tokenizer.ChatTemplate.Span;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the assistant turns in a rendered conversation. The template is rendered twice: once with
 * the real contents and once with {@link #sentinel}s in their place. The text between sentinels
 * (headers, separators, other roles' messages) must be the same in both renders; each real
 * content then lies between the same pieces, equal to the message's content up to whitespace the
 * template may have trimmed at either end.
 */
final class AssistantSpans {
    /**
     * Private-use characters around the turn number: no whitespace, so trimming keeps them, and
     * never part of real text (a message containing one is refused).
     */
    private static final char OPEN = '\uE000', CLOSE = '\uE001';

    private AssistantSpans() { }

    static String sentinel(int turn) {
        return OPEN + Integer.toString(turn) + CLOSE;
    }

    static void requireNoSentinel(String template, int turn, String content) {
        if (content.indexOf(OPEN) >= 0 || content.indexOf(CLOSE) >= 0) {
            throw new IllegalArgumentException("chat template " + template + ": message " + turn
                    + " contains the private-use character U+E000 or U+E001, which marks assistant turns while rendering");
        }
    }

    private record Found(int turn, int start, int end) { }

    /**
     * @param markers end-of-turn markers, longest first
     * @param eos     inserted after a turn the template leaves without a marker; null: such a turn is an error
     */
    static Rendered locate(String template, String withSentinels, String text, List<ChatMessage> messages, List<String> markers, String eos) {
        List<Found> found = sentinels(template, withSentinels);
        List<Span> contents = new ArrayList<>(found.size());
        int pos = 0, from = 0;
        for (int k = 0; k < found.size(); k++) {
            Found f = found.get(k);
            String before = withSentinels.substring(from, f.start());
            if (!text.startsWith(before, pos)) {
                throw new IllegalArgumentException("chat template " + template + " writes different text around assistant turn " + f.turn()
                        + " when its content changes, so the turn cannot be located");
            }
            pos += before.length();
            boolean last = k == found.size() - 1;
            String after = withSentinels.substring(f.end(), last ? withSentinels.length() : found.get(k + 1).start());
            int length = contentLength(text, pos, messages.get(f.turn()).content(), after, last);
            if (length < 0) {
                throw new IllegalArgumentException("chat template " + template + " changes the content of assistant turn " + f.turn()
                        + " beyond trimming whitespace, so its tokens cannot be told apart");
            }
            contents.add(new Span(f.turn(), pos, pos + length, -1));
            pos += length;
            from = f.end();
        }
        return withEndOfTurn(template, text, contents, markers, eos);
    }

    /** Each sentinel's turn and place, in text order; a turn the template leaves out has none. */
    private static List<Found> sentinels(String template, String withSentinels) {
        List<Found> found = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int i = withSentinels.indexOf(OPEN); i >= 0; i = withSentinels.indexOf(OPEN, i + 1)) {
            int close = withSentinels.indexOf(CLOSE, i);
            int turn = close < 0 ? -1 : parseTurn(withSentinels.substring(i + 1, close));
            if (turn < 0) throw new IllegalArgumentException("chat template " + template + " alters assistant contents, so turns cannot be located");
            if (!seen.add(turn)) throw new IllegalArgumentException("chat template " + template + " writes assistant turn " + turn + " twice");
            found.add(new Found(turn, i, close + 1));
        }
        return found;
    }

    private static int parseTurn(String digits) {
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Character::isDigit)) return -1;
        return Integer.parseInt(digits);
    }

    /**
     * The length of the content at {@code pos}: the longest piece of {@code content}, short of
     * whitespace at its ends, that the text holds there and that {@code after} follows (and, for
     * the last turn, that ends the text with it). -1 when there is none.
     */
    private static int contentLength(String text, int pos, String content, String after, boolean last) {
        int lead = 0, trail = 0;
        while (lead < content.length() && isSpace(content.charAt(lead))) lead++;
        while (trail < content.length() - lead && isSpace(content.charAt(content.length() - 1 - trail))) trail++;
        for (int a = 0; a <= lead; a++) {
            for (int b = content.length(); b >= Math.max(a, content.length() - trail); b--) {
                int length = b - a;
                if (text.regionMatches(pos, content, a, length) && text.startsWith(after, pos + length)
                        && (!last || pos + length + after.length() == text.length())) {
                    return length;
                }
            }
        }
        return -1;
    }

    /** Whitespace as any of Python's strip, Java's strip or a trim filter would remove it. */
    private static boolean isSpace(char c) {
        return c <= ' ' || Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** Adds each turn's end-of-turn marker, inserting eos where the template wrote none. */
    private static Rendered withEndOfTurn(String template, String text, List<Span> contents, List<String> markers, String eos) {
        StringBuilder out = new StringBuilder(text);
        List<Span> spans = new ArrayList<>(contents.size());
        int shift = 0;
        boolean appended = false;
        for (Span c : contents) {
            int start = c.contentStart() + shift, end = c.contentEnd() + shift;
            int p = end;
            while (p < out.length() && (out.charAt(p) == ' ' || out.charAt(p) == '\t')) p++;
            String marker = markerAt(out, p, markers);
            int endOfTurn;
            if (marker != null) {
                endOfTurn = p + marker.length();
            } else {
                if (eos == null) {
                    throw new IllegalArgumentException("chat template " + template + " writes no end-of-turn token after assistant turn "
                            + c.turn() + " and the tokenizer config names no eos_token to add");
                }
                out.insert(end, eos);
                shift += eos.length();
                endOfTurn = end + eos.length();
                appended = true;
            }
            spans.add(new Span(c.turn(), start, end, endOfTurn));
        }
        return new Rendered(out.toString(), List.copyOf(spans), appended);
    }

    private static String markerAt(CharSequence text, int p, List<String> markers) {
        for (String m : markers) {
            if (p + m.length() <= text.length() && text.subSequence(p, p + m.length()).toString().equals(m)) return m;
        }
        return null;
    }
}
