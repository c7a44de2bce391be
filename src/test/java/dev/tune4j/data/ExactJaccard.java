package dev.tune4j.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test oracle, independent of MinHash and of the production shingler: word 3-gram shingles as
 * plain strings (same definition: runs of letters and digits, lower-cased per code point) and
 * exact Jaccard similarity by set intersection. All-pairs search through an inverted index, so
 * every pair of rows that shares a shingle is scored exactly.
 */
public final class ExactJaccard {
    private ExactJaccard() {}

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{Nd}]+");

    public static Set<String> shingles(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            StringBuilder w = new StringBuilder();
            m.group().codePoints().map(Character::toLowerCase).forEach(w::appendCodePoint);
            words.add(w.toString());
        }
        Set<String> out = new HashSet<>();
        if (words.isEmpty()) return out;
        if (words.size() < 3) {
            out.add(String.join(" ", words));
            return out;
        }
        for (int i = 0; i + 3 <= words.size(); i++) out.add(words.get(i) + " " + words.get(i + 1) + " " + words.get(i + 2));
        return out;
    }

    public static double jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() || b.isEmpty()) return 0;
        int inter = 0;
        for (String s : a.size() < b.size() ? a : b) if ((a.size() < b.size() ? b : a).contains(s)) inter++;
        return (double) inter / (a.size() + b.size() - inter);
    }

    public record Pair(int a, int b, double similarity) {}

    /** Every pair (i from xs, j from ys) with exact Jaccard at or above t. */
    public static List<Pair> pairsAtOrAbove(List<String> xs, List<String> ys, double t) {
        List<Set<String>> sy = ys.stream().map(ExactJaccard::shingles).toList();
        Map<String, List<Integer>> postings = new HashMap<>();
        for (int j = 0; j < sy.size(); j++) for (String s : sy.get(j)) postings.computeIfAbsent(s, k -> new ArrayList<>()).add(j);
        List<Pair> out = new ArrayList<>();
        int[] overlap = new int[ys.size()];
        List<Integer> touched = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            Set<String> a = shingles(xs.get(i));
            for (String s : a) {
                List<Integer> p = postings.get(s);
                if (p == null) continue;
                for (int j : p) if (overlap[j]++ == 0) touched.add(j);
            }
            for (int j : touched) {
                double jac = (double) overlap[j] / (a.size() + sy.get(j).size() - overlap[j]);
                if (jac >= t) out.add(new Pair(i, j, jac));
                overlap[j] = 0;
            }
            touched.clear();
        }
        return out;
    }
}
