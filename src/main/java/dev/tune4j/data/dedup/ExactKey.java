package dev.tune4j.data.dedup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The key two rows must share to be exact duplicates: the first 128 bits of the SHA-256 of the
 * normalised content (lower case, every run of whitespace one space, trimmed). 128 bits make an
 * accidental collision negligible even over billions of rows.
 */
public record ExactKey(long hi, long lo) {

    public static ExactKey of(String content) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer d = ByteBuffer.wrap(md.digest(normalise(content).getBytes(StandardCharsets.UTF_8)));
        return new ExactKey(d.getLong(), d.getLong());
    }

    /** Lower case (code point by code point), whitespace runs collapsed to one space, trimmed. */
    public static String normalise(String s) {
        int len = s.length();
        char[] out = new char[len];
        int n = 0;
        boolean space = false;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (c == ' ' || c >= 0x09 && c <= 0x0D || c >= 0x1C && c <= 0x1F) {
                    space = n > 0;
                    continue;
                }
                if (space) out[n++] = ' ';
                space = false;
                out[n++] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
                continue;
            }
            int cp = s.codePointAt(i);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                space = n > 0;
                continue;
            }
            if (space) out[n++] = ' ';
            space = false;
            n += Character.toChars(Character.toLowerCase(cp), out, n);
            i += Character.charCount(cp) - 1;
        }
        return new String(out, 0, n);
    }

    public String hex() {
        return String.format("%016x%016x", hi, lo);
    }
}
