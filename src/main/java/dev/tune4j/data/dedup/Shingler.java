package dev.tune4j.data.dedup;

import java.util.Arrays;
import java.util.Locale;

/**
 * Cuts text into shingles and hashes them to 64 bits: n consecutive words (runs of letters and
 * digits, lower-cased; punctuation and spacing do not count) or n consecutive characters of the
 * lower-cased text with whitespace collapsed. A text shorter than n units is one shingle.
 * The result is sorted and free of repeats, so two sets can be intersected by merging.
 */
public final class Shingler {

    public enum Unit {
        WORD, CHAR;

        public static Unit parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown shingle unit '" + s + "' (expected word or char)");
            }
        }
    }

    private final Unit unit;
    private final int n;

    public Shingler(Unit unit, int n) {
        if (n < 1) throw new IllegalArgumentException("shingle size must be >= 1, got " + n);
        this.unit = unit;
        this.n = n;
    }

    public Unit unit() {
        return unit;
    }

    public int size() {
        return n;
    }

    public long[] shingles(String text) {
        return unit == Unit.WORD ? wordShingles(text) : charShingles(text);
    }

    private long[] wordShingles(String s) {
        long[] words = new long[16];
        int count = 0;
        int len = s.length();
        int i = 0;
        while (i < len) {
            int cp = s.codePointAt(i);
            if (!Character.isLetterOrDigit(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            long h = 0xcbf29ce484222325L;          // FNV-1a over the lower-cased code points
            while (i < len) {
                cp = s.codePointAt(i);
                if (!Character.isLetterOrDigit(cp)) break;
                h = (h ^ Character.toLowerCase(cp)) * 0x100000001b3L;
                i += Character.charCount(cp);
            }
            if (count == words.length) words = Arrays.copyOf(words, count * 2);
            words[count++] = h;
        }
        return combine(words, count);
    }

    private long[] charShingles(String s) {
        // lower-case, whitespace collapsed to one space, trimmed
        int[] cps = new int[s.length()];
        int count = 0;
        boolean space = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                space = count > 0;
                continue;
            }
            if (space) cps[count++] = ' ';
            space = false;
            cps[count++] = Character.toLowerCase(cp);
        }
        long[] units = new long[count];
        for (int i = 0; i < count; i++) units[i] = cps[i] * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        return combine(units, count);
    }

    /** Hashes every window of n consecutive units (order matters), then sorts and drops repeats. */
    private long[] combine(long[] units, int count) {
        if (count == 0) return new long[0];
        int windows = Math.max(1, count - n + 1);
        int w = Math.min(n, count);
        long[] out = new long[windows];
        for (int s = 0; s < windows; s++) {
            long h = 0x2545F4914F6CDD1DL;
            for (int k = 0; k < w; k++) h = Long.rotateLeft(h * 0x9E3779B97F4A7C15L, 23) ^ units[s + k];
            out[s] = mix64(h ^ w);
        }
        Arrays.sort(out);
        int m = 1;
        for (int k = 1; k < out.length; k++) if (out[k] != out[m - 1]) out[m++] = out[k];
        return m == out.length ? out : Arrays.copyOf(out, m);
    }

    /** The finaliser of MurmurHash3 (64-bit): every input bit affects every output bit. */
    static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** Exact Jaccard similarity |A ∩ B| / |A ∪ B| of two sorted shingle sets (0 when both are empty). */
    public static double jaccard(long[] a, long[] b) {
        if (a.length == 0 || b.length == 0) return 0;
        int i = 0, j = 0, inter = 0;
        while (i < a.length && j < b.length) {
            long x = a[i], y = b[j];
            if (x == y) {
                inter++;
                i++;
                j++;
            } else if (x < y) {
                i++;
            } else {
                j++;
            }
        }
        return (double) inter / (a.length + b.length - inter);
    }
}
