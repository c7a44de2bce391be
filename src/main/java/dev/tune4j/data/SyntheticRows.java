package dev.tune4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic synthetic text rows with planted duplicates, for the near-duplicate benchmark and
 * tests: words from a Zipf-distributed made-up vocabulary, rows of 10 to 100 words, and a share of
 * rows that are copies of an earlier row with a few word edits (substitutions, insertions,
 * deletions) or none at all.
 */
public final class SyntheticRows {

    /** The rows, and for each planted copy the index of the row it was copied from (-1 for originals). */
    public record Rows(List<String> texts, int[] copyOf, int[] edits) {}

    private SyntheticRows() {}

    /**
     * @param nearShare  share of rows that are edited copies of an earlier row
     * @param exactShare share of rows that are unedited copies
     */
    public static Rows generate(int rows, double nearShare, double exactShare, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int vocab = 50_000;
        String[] words = new String[vocab];
        for (int w = 0; w < vocab; w++) {
            int len = 2 + r.nextInt(9);
            char[] c = new char[len];
            for (int k = 0; k < len; k++) c[k] = (char) ('a' + r.nextInt(26));
            words[w] = new String(c);
        }
        double[] cdf = new double[vocab];              // Zipf, exponent 1
        double sum = 0;
        for (int w = 0; w < vocab; w++) cdf[w] = sum += 1.0 / (w + 1);
        for (int w = 0; w < vocab; w++) cdf[w] /= sum;

        List<String> texts = new ArrayList<>(rows);
        List<String[]> tokens = new ArrayList<>(rows);
        int[] copyOf = new int[rows];
        int[] edits = new int[rows];
        for (int i = 0; i < rows; i++) {
            double u = r.nextDouble();
            String[] t;
            copyOf[i] = -1;
            if (i > 0 && u < nearShare + exactShare) {
                int src = r.nextInt(i);
                while (copyOf[src] >= 0) src = copyOf[src];          // copy an original
                copyOf[i] = src;
                String[] s = tokens.get(src);
                if (u < exactShare) {
                    t = s;
                } else {
                    List<String> w = new ArrayList<>(List.of(s));
                    int e = 1 + r.nextInt(Math.max(1, s.length / 25));   // a few edits: most copies stay above 0.8
                    for (int k = 0; k < e; k++) {
                        int at = r.nextInt(w.size());
                        switch (r.nextInt(3)) {
                            case 0 -> w.set(at, zipf(words, cdf, r));
                            case 1 -> w.add(at, zipf(words, cdf, r));
                            default -> { if (w.size() > 2) w.remove(at); }
                        }
                    }
                    edits[i] = e;
                    t = w.toArray(new String[0]);
                }
            } else {
                int len = 10 + r.nextInt(91);
                t = new String[len];
                for (int k = 0; k < len; k++) t[k] = zipf(words, cdf, r);
            }
            tokens.add(t);
            texts.add(sentence(t));
        }
        return new Rows(texts, copyOf, edits);
    }

    private static String zipf(String[] words, double[] cdf, SplittableRandom r) {
        int i = java.util.Arrays.binarySearch(cdf, r.nextDouble());
        if (i < 0) i = -i - 1;
        return words[Math.min(i, words.length - 1)];
    }

    private static String sentence(String[] t) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < t.length; k++) {
            if (k > 0) sb.append(' ');
            sb.append(k == 0 ? Character.toUpperCase(t[k].charAt(0)) + t[k].substring(1) : t[k]);
        }
        return sb.append('.').toString();
    }
}
