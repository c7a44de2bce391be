package dev.tune4j.data;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Deterministic train / validation / test assignment.
 *
 * <p>Rows are grouped into units (a unit is one row, or all rows sharing a split key, which then
 * never straddle two splits). Units are put in a seeded pseudo-random order that depends only on
 * each unit's identity (its key, or the row's file and line), not on the other rows. For
 * stratification, units of each label are spread evenly over that order (systematic sampling),
 * so every stretch of it holds the labels in their overall proportions. The order is then cut
 * into validation, test and train stretches of the target sizes; a multi-row unit goes where its
 * middle falls, so with split keys the sizes are met as closely as the units allow.
 */
public final class Splitter {
    private Splitter() {}

    /**
     * @param identity  per row: a stable name (e.g. "file:line") used when the row is its own unit
     * @param unitKey   per row: the split key, or null for none (the row is then its own unit)
     * @param labels    per row label for stratification, or null not to stratify
     * @return per row: 0 train, 1 validation, 2 test
     */
    public static int[] assign(String[] identity, String[] unitKey, String[] labels, SplitSpec spec, long seed) {
        int n = identity.length;
        int[] targets = spec.targets(n);
        // units: single rows, or the rows sharing a split key
        String[] keys;
        int[][] members;
        if (unitKey == null) {
            keys = new String[n];
            members = new int[n][];
            for (int i = 0; i < n; i++) {
                keys[i] = "r:" + identity[i];
                members[i] = new int[] {i};
            }
        } else {
            Map<String, List<Integer>> units = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String key = unitKey[i] != null ? "k:" + unitKey[i] : "r:" + identity[i];
                units.computeIfAbsent(key, k -> new ArrayList<>(1)).add(i);
            }
            keys = units.keySet().toArray(new String[0]);
            members = new int[keys.length][];
            for (int k = 0; k < keys.length; k++) members[k] = units.get(keys[k]).stream().mapToInt(Integer::intValue).toArray();
        }
        int u = keys.length;
        long[] hash = new long[u];
        String[] unitLabel = new String[u];
        for (int k = 0; k < u; k++) {
            hash[k] = hash(keys[k], seed);
            if (labels != null) unitLabel[k] = members[k].length == 1 ? labels[members[k][0]] : majority(members[k], labels);
        }
        // order
        double[] position = new double[u];
        if (labels == null) {
            for (int k = 0; k < u; k++) position[k] = 0;
        } else {
            Map<String, List<Integer>> byLabel = new TreeMap<>();
            for (int k = 0; k < u; k++) byLabel.computeIfAbsent(unitLabel[k], x -> new ArrayList<>()).add(k);
            for (List<Integer> group : byLabel.values()) {
                group.sort(Comparator.comparingLong(k -> hash[k]));
                long total = 0;
                for (int k : group) total += members[k].length;
                long before = 0;
                for (int k : group) {
                    position[k] = (before + members[k].length / 2.0) / total;
                    before += members[k].length;
                }
            }
        }
        Integer[] order = new Integer[u];
        for (int k = 0; k < u; k++) order[k] = k;
        Arrays.sort(order, Comparator.<Integer>comparingDouble(k -> position[k]).thenComparingLong(k -> hash[k]).thenComparing(k -> keys[k]));
        // cut: validation, then test, then train
        long valEnd = targets[1], testEnd = valEnd + targets[2];
        int[] split = new int[n];
        long cum = 0;
        for (int k : order) {
            int size = members[k].length;
            double middle = cum + size / 2.0;
            int s = middle < valEnd ? 1 : middle < testEnd ? 2 : 0;
            for (int i : members[k]) split[i] = s;
            cum += size;
        }
        return split;
    }

    private static String majority(int[] rows, String[] labels) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i : rows) counts.merge(labels[i], 1, Integer::sum);
        return counts.entrySet().stream()
                .max(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                .orElseThrow().getKey();
    }

    private static long hash(String s, long seed) {
        long h = 0xcbf29ce484222325L ^ seed * 0x9E3779B97F4A7C15L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
        h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }
}
