package dev.tune4j.data;

import java.util.Arrays;
import java.util.List;

/**
 * How many rows go to train, validation and test: each a ratio (0.1 or 10%), a count (400) or
 * {@code rest} ({@code 1/0/0} puts every row in train). Written positionally ({@code 0.8/0.1/0.1}, {@code rest/400/1000}, order train /
 * validation / test) or by name ({@code train=rest,validation=400,test=1000}). Ratios without a
 * {@code rest} must add up to 1; counts need a {@code rest} to take what is left.
 */
public final class SplitSpec {
    public static final List<String> NAMES = List.of("train", "validation", "test");

    private final double[] ratio = new double[3];   // NaN when not a ratio
    private final long[] count = new long[3];       // -1 when not a count
    private int rest = -1;
    private final String text;

    private SplitSpec(String text) {
        this.text = text;
        Arrays.fill(ratio, Double.NaN);
        Arrays.fill(count, -1);
    }

    public static SplitSpec defaults() {
        return parse("0.8/0.1/0.1");
    }

    public static SplitSpec parse(String s) {
        SplitSpec spec = new SplitSpec(s.strip());
        String[] parts = s.strip().split(s.contains("=") ? "," : "/");
        boolean named = s.contains("=");
        if (!named && (parts.length < 1 || parts.length > 3)) throw bad(s, "give one to three parts: train/validation/test");
        boolean[] seen = new boolean[3];
        for (int i = 0; i < parts.length; i++) {
            int which;
            String value;
            if (named) {
                String[] kv = parts[i].split("=", 2);
                if (kv.length != 2) throw bad(s, "'" + parts[i] + "' is not NAME=VALUE");
                which = NAMES.indexOf(kv[0].strip().toLowerCase());
                if (which < 0) throw bad(s, "unknown split '" + kv[0].strip() + "' (expected train, validation or test)");
                value = kv[1].strip();
            } else {
                which = i;
                value = parts[i].strip();
            }
            if (seen[which]) throw bad(s, NAMES.get(which) + " is given twice");
            seen[which] = true;
            if (value.equalsIgnoreCase("rest")) {
                if (spec.rest >= 0) throw bad(s, "only one split can be 'rest'");
                spec.rest = which;
            } else if (value.endsWith("%")) {
                spec.ratio[which] = number(s, value.substring(0, value.length() - 1)) / 100.0;
            } else if (value.matches("\\d+")) {
                if (value.length() > 12) throw bad(s, "'" + value + "' rows is more than any data set holds");
                spec.count[which] = Long.parseLong(value);
            } else {
                double v = number(s, value);
                if (v > 1) throw bad(s, "'" + value + "' is neither a ratio in [0, 1], a whole count nor 'rest'");
                spec.ratio[which] = v;
            }
        }
        for (int i = 0; i < 3; i++) if (!seen[i]) spec.count[i] = 0;
        // "1/0/0" means everything in one split, not one row
        if (spec.rest < 0 && spec.count[0] + spec.count[1] + spec.count[2] == 1
                && Double.isNaN(spec.ratio[0]) && Double.isNaN(spec.ratio[1]) && Double.isNaN(spec.ratio[2])) {
            for (int i = 0; i < 3; i++) {
                spec.ratio[i] = spec.count[i];
                spec.count[i] = -1;
            }
        }
        double sum = 0;
        boolean anyCount = false;
        for (int i = 0; i < 3; i++) {
            if (!Double.isNaN(spec.ratio[i])) {
                if (spec.ratio[i] < 0) throw bad(s, "negative ratio");
                sum += spec.ratio[i];
            }
            if (spec.count[i] > 0) anyCount = true;
        }
        if (spec.rest < 0) {
            if (anyCount) throw bad(s, "counts need one split to be 'rest' (e.g. rest/400/1000)");
            if (Math.abs(sum - 1) > 1e-6) throw bad(s, "the ratios add up to " + sum + ", not 1 (or make one split 'rest')");
        } else if (sum > 1 + 1e-6) {
            throw bad(s, "the ratios add up to more than 1");
        }
        return spec;
    }

    private static double number(String spec, String v) {
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw bad(spec, "'" + v + "' is not a number");
        }
        if (!Double.isFinite(d)) throw bad(spec, "'" + v + "' is not a finite number");
        return d;
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("--split " + spec + ": " + why);
    }

    /** Target row counts {train, validation, test} for n rows. */
    public int[] targets(int n) {
        int[] t = new int[3];
        long fixed = 0;
        for (int i = 0; i < 3; i++) if (count[i] >= 0) { t[i] = (int) count[i]; fixed += count[i]; }
        if (fixed > n) throw new IllegalArgumentException("--split " + text + ": the counts ask for " + fixed + " rows but only " + n + " are left after cleaning");
        // ratios: largest remainder, so that ratios adding up to 1 cover exactly n rows
        double[] exact = new double[3];
        int assigned = 0;
        for (int i = 0; i < 3; i++) {
            if (Double.isNaN(ratio[i])) continue;
            exact[i] = ratio[i] * n;
            t[i] = (int) Math.floor(exact[i] + 1e-9);
            assigned += t[i];
        }
        if (rest >= 0) {
            t[rest] = (int) (n - fixed - assigned);
            if (t[rest] < 0) throw new IllegalArgumentException("--split " + text + ": nothing is left for " + NAMES.get(rest));
        } else {
            int missing = (int) (n - fixed - assigned);
            Integer[] order = {0, 1, 2};
            Arrays.sort(order, (a, b) -> Double.compare(exact[b] - Math.floor(exact[b] + 1e-9), exact[a] - Math.floor(exact[a] + 1e-9)));
            for (int k = 0; missing > 0; k = (k + 1) % 3) {
                if (Double.isNaN(ratio[order[k]])) continue;
                t[order[k]]++;
                missing--;
            }
        }
        return t;
    }

    @Override
    public String toString() {
        return text;
    }
}
