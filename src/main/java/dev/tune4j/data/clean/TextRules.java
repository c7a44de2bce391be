package dev.tune4j.data.clean;

import java.text.Normalizer;

/** The character-level cleaning rules. Each returns its input unchanged (same instance) when there is nothing to do. */
public final class TextRules {
    private TextRules() {}

    /** Unicode NFC: composed characters, so that "é" typed two ways hashes and tokenizes the same. */
    public static String nfc(String s) {
        return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
    }

    /**
     * Removes control characters (C0 and C1, except tab, line feed and carriage return, which the
     * whitespace rule handles), lone surrogates, the non-characters U+FFFE/U+FFFF and invisible
     * format characters that carry no meaning in training text (byte order mark, zero-width space,
     * word joiner, soft hyphen). Zero-width joiners and bidi marks are kept: scripts and emoji need them.
     */
    public static String removeControl(String s) {
        int i = 0, n = s.length();
        while (i < n && !dropped(s, i)) i++;
        if (i == n) return s;
        StringBuilder sb = new StringBuilder(n);
        sb.append(s, 0, i);
        for (; i < n; i++) {
            if (!dropped(s, i)) sb.append(s.charAt(i));
        }
        return sb.toString();
    }

    private static boolean dropped(String s, int i) {
        char c = s.charAt(i);
        if (c < 0x20) return c != '\t' && c != '\n' && c != '\r';
        if (c >= 0x7F && c <= 0x9F) return true;
        if (c == '\uFEFF' || c == '\u200B' || c == '\u2060' || c == '\u00AD' || c == '\uFFFE' || c == '\uFFFF') return true;
        if (Character.isHighSurrogate(c)) return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (Character.isLowSurrogate(c)) return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        return false;
    }

    /**
     * Whitespace: line endings become LF, exotic spaces (no-break, em, ideographic, ...) become a
     * plain space, runs of spaces and tabs inside a line become one space (leading indentation is
     * kept, so code survives), trailing spaces go, more than one blank line in a row becomes one,
     * and the text is trimmed.
     */
    public static String whitespace(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int n = s.length();
        int newlines = 0;           // consecutive line breaks just emitted
        boolean lineStart = true;   // nothing but indentation so far on this line
        int pendingSpace = 0;       // a run of blanks not yet written (0 none, 1 interior, -1 indentation)
        StringBuilder indent = new StringBuilder();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                if (i + 1 < n && s.charAt(i + 1) == '\n') continue;
                c = '\n';
            }
            if (c == '\n' || c == '\u2028' || c == '\u2029' || c == '\u000B' || c == '\u000C' || c == '\u0085') {
                pendingSpace = 0;
                indent.setLength(0);
                lineStart = true;
                if (sb.isEmpty()) continue;                 // leading blank lines
                if (newlines < 2) sb.append('\n');
                newlines++;
                continue;
            }
            boolean blank = c == ' ' || c == '\t' || (Character.isSpaceChar(c) && c != '\u200B');
            if (blank) {
                if (lineStart) indent.append(c == '\t' ? '\t' : ' ');
                else pendingSpace = 1;
                continue;
            }
            if (lineStart) {
                if (!sb.isEmpty()) sb.append(indent);        // indentation of the first line is trimmed
                indent.setLength(0);
                lineStart = false;
            } else if (pendingSpace != 0) {
                sb.append(' ');
            }
            pendingSpace = 0;
            newlines = 0;
            sb.append(c);
        }
        // trailing line breaks
        int end = sb.length();
        while (end > 0 && sb.charAt(end - 1) == '\n') end--;
        sb.setLength(end);
        String out = sb.toString();
        return out.equals(s) ? s : out;
    }
}
