package dev.tune4j.audit;

import dev.tune4j.data.Example;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Schema;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Labelled rows with a known share of their labels changed, and the audit's precision and recall at finding them. */
final class PlantedNoise {
    private PlantedNoise() {}

    /** Rows with the given texts and labels, id {@code "row-i"}, origin planted.jsonl line i + 1. */
    static List<Example> rows(List<String> texts, List<String> labels) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            out.add(new Example(new Origin("planted.jsonl", i + 1), Schema.CLASSIFICATION, null, new String[] {texts.get(i)}, labels.get(i),
                    Map.of("id", "row-" + i), null));
        }
        return out;
    }

    /** Changes the labels of round(share · n) rows, chosen by the seed, each to another class; returns their indices. */
    static Set<Integer> flip(List<String> labels, List<String> classes, double share, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) order.add(i);
        for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, rng.nextInt(i + 1));
        Set<Integer> flipped = new HashSet<>(order.subList(0, (int) Math.round(share * labels.size())));
        for (int i : flipped) {
            List<String> others = new ArrayList<>(classes);
            others.remove(labels.get(i));
            labels.set(i, others.get(rng.nextInt(others.size())));
        }
        return flipped;
    }

    /** {precision, recall} of the audit's flags against the flipped rows, printed under {@code name}. */
    static double[] score(String name, LabelAudit.Result r, Set<Integer> flipped) {
        long hits = r.issues().stream().filter(i -> flipped.contains(i.index())).count();
        double precision = r.issues().isEmpty() ? 0 : (double) hits / r.issues().size(), recall = flipped.isEmpty() ? 1 : (double) hits / flipped.size();
        System.out.printf("AUDIT %s: %d rows, %d flipped, %d flagged, precision %.3f, recall %.3f, fit %s%n",
                name, r.rows().size(), flipped.size(), r.issues().size(), precision, recall, r.fit());
        return new double[] {precision, recall};
    }
}
