package dev.tune4j.recipe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The classical baseline of the study: character 2-5-grams of the lower-cased text, hashed into
 * 2^18 buckets, weighted by sublinear TF-IDF (1 + log tf) · log((1 + n) / (1 + df)) + 1 and
 * L2-normalised, under multinomial logistic regression trained with Adagrad and an L2 penalty
 * (what scikit-learn's TfidfVectorizer(analyzer="char_wb") + LogisticRegression does, give or take
 * the solver).
 */
final class NgramBaseline {
    private static final int BUCKETS = 1 << 18, MIN_N = 2, MAX_N = 5, MAX_CHARS = 4000;

    private final int classes;
    private final float[] w, b;
    private float[] idf;

    NgramBaseline(int classes) {
        this.classes = classes;
        this.w = new float[classes * BUCKETS];
        this.b = new float[classes];
    }

    /** Sparse features of one text: bucket ids and weights (unit length). */
    private record Features(int[] ids, float[] values) {}

    private static Map<Integer, Integer> counts(String text) {
        String t = " " + text.toLowerCase().substring(0, Math.min(text.length(), MAX_CHARS)) + " ";
        Map<Integer, Integer> c = new HashMap<>();
        for (int n = MIN_N; n <= MAX_N; n++) {
            for (int i = 0; i + n <= t.length(); i++) c.merge(Math.floorMod(t.substring(i, i + n).hashCode() * 0x9E3779B1, BUCKETS), 1, Integer::sum);
        }
        return c;
    }

    private Features features(Map<Integer, Integer> counts) {
        int[] ids = new int[counts.size()];
        float[] v = new float[counts.size()];
        int k = 0;
        double norm = 0;
        for (var e : counts.entrySet()) {
            ids[k] = e.getKey();
            v[k] = (float) ((1 + Math.log(e.getValue())) * idf[e.getKey()]);
            norm += v[k] * v[k];
            k++;
        }
        float inv = (float) (1 / Math.sqrt(Math.max(norm, 1e-12)));
        for (int i = 0; i < v.length; i++) v[i] *= inv;
        return new Features(ids, v);
    }

    void fit(List<String> texts, int[] labels, int epochs, double lr, double l2, long seed) {
        List<Map<Integer, Integer>> counts = texts.stream().map(NgramBaseline::counts).toList();
        int[] df = new int[BUCKETS];
        for (var c : counts) for (int id : c.keySet()) df[id]++;
        idf = new float[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) idf[i] = (float) (Math.log((1.0 + texts.size()) / (1.0 + df[i])) + 1);
        List<Features> x = new ArrayList<>();
        for (var c : counts) x.add(features(c));
        float[] gw = new float[w.length], gb = new float[classes];
        int[] order = new int[x.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        SplittableRandom rng = new SplittableRandom(seed);
        float[] p = new float[classes];
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int r : order) {
                Features f = x.get(r);
                probabilities(f, p);
                for (int c = 0; c < classes; c++) {
                    float g = p[c] - (labels[r] == c ? 1f : 0f);
                    gb[c] += g * g;
                    b[c] -= (float) (lr * g / Math.sqrt(gb[c] + 1e-8));
                    for (int k = 0; k < f.ids().length; k++) {
                        int at = c * BUCKETS + f.ids()[k];
                        float gk = g * f.values()[k] + (float) l2 * w[at];
                        gw[at] += gk * gk;
                        w[at] -= (float) (lr * gk / Math.sqrt(gw[at] + 1e-8));
                    }
                }
            }
        }
    }

    private void probabilities(Features f, float[] p) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            float z = b[c];
            for (int k = 0; k < f.ids().length; k++) z += w[c * BUCKETS + f.ids()[k]] * f.values()[k];
            p[c] = z;
            max = Math.max(max, z);
        }
        float sum = 0;
        for (int c = 0; c < classes; c++) sum += p[c] = (float) Math.exp(p[c] - max);
        for (int c = 0; c < classes; c++) p[c] /= sum;
    }

    int predict(String text) {
        float[] p = new float[classes];
        probabilities(features(counts(text)), p);
        int best = 0;
        for (int c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
        return best;
    }

    /** Accuracy and macro-F1 of predictions against labels. */
    static double[] scores(int[] predicted, int[] labels, int classes) {
        long[] tp = new long[classes], fp = new long[classes], fn = new long[classes];
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == labels[i]) {
                right++;
                tp[labels[i]]++;
            } else {
                fp[predicted[i]]++;
                fn[labels[i]]++;
            }
        }
        double f1 = 0;
        for (int c = 0; c < classes; c++) f1 += tp[c] == 0 ? 0 : 2.0 * tp[c] / (2.0 * tp[c] + fp[c] + fn[c]);
        return new double[] {(double) right / labels.length, f1 / classes};
    }

}
