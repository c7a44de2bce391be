package dev.tune4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte level, as the Hugging Face tokenizers library's {@code ByteLevel} pre-tokenizer and
 * decoder do it: text is split into pre-tokens by GPT-2's pattern, and each pre-token's UTF-8 bytes
 * are written as printable characters, one per byte, so that BPE works on 256 symbols and any text
 * round-trips.
 *
 * <p>The alphabet: the printable bytes {@code !..~}, {@code ¡..¬} and {@code ®..ÿ} stand for
 * themselves; the other 68 (controls, space, soft hyphen, ...) become U+0100 + k in byte order, so
 * the space is {@code Ġ} (U+0120) and the newline {@code Ċ} (U+010A).
 *
 * <p>The split: contractions, then letters, digits or other symbols each with at most one leading
 * space, then runs of whitespace, a run followed by more text leaving its last space to the word.
 * The library's regex engine (Oniguruma) reads {@code \s} as Unicode White_Space; Java does so with
 * {@link Pattern#UNICODE_CHARACTER_CLASS}.
 */
final class ByteLevel {
    static final Pattern SPLIT = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character, -1 where the character is not in the alphabet. */
    private static final int[] CHAR_TO_BYTE = new int[0x100 + 68];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE;
            char c = printable ? (char) b : (char) (0x100 + shifted++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The 256 characters of the alphabet, in code point order (the order their ids are given in). */
    static char[] alphabet() {
        char[] a = BYTE_TO_CHAR.clone();
        java.util.Arrays.sort(a);
        return a;
    }

    /** Hands each pre-token of {@code text} to {@code out}, in order; together they are the whole text. */
    static void split(CharSequence text, Consumer<String> out) {
        Matcher m = SPLIT.matcher(text);
        while (m.find()) out.accept(m.group());
    }

    /** A pre-token's UTF-8 bytes written in the alphabet. */
    static String toAlphabet(String piece) {
        byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }

    /** Appends the bytes a token written in the alphabet stands for. */
    static void appendBytes(String token, ByteArrayOutputStream out) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) throw new IllegalArgumentException("token '" + token + "' has a character outside the byte-level alphabet: U+" + Integer.toHexString(c));
            out.write(b);
        }
    }
}
