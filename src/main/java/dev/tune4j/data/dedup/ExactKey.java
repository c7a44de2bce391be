package dev.tune4j.data.dedup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

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

    /** Lower case, whitespace runs collapsed to one space, trimmed. */
    public static String normalise(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                space = !sb.isEmpty();
                continue;
            }
            if (space) sb.append(' ');
            space = false;
            sb.append(c);
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    public String hex() {
        return String.format("%016x%016x", hi, lo);
    }
}
