package dev.tune4j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks one token from a row of logits under a {@link Sampling}. The logits are processed in place
 * (the caller's row is scratch). Ties in greedy decoding go to the lowest id, as torch.argmax does.
 */
final class TokenSampler {
    private final Sampling s;
    private final SplittableRandom rng;

    TokenSampler(Sampling s) {
        this.s = s;
        this.rng = new SplittableRandom(s.seed());
    }

    /** @param seen counts of each token id in the sequence so far (for the repetition penalty) */
    int next(float[] logits, int off, int vocab, int[] seen) {
        if (s.repetitionPenalty() != 1) {
            float p = (float) s.repetitionPenalty();
            for (int id = 0; id < vocab; id++) {
                if (seen[id] == 0) continue;
                float z = logits[off + id];
                logits[off + id] = z > 0 ? z / p : z * p;
            }
        }
        if (s.greedy()) return argmax(logits, off, vocab);
        double[] p = new double[vocab];
        double max = Double.NEGATIVE_INFINITY;
        for (int id = 0; id < vocab; id++) {
            p[id] = logits[off + id] / s.temperature();
            max = Math.max(max, p[id]);
        }
        Integer[] order = null;
        int keep = vocab;
        if (s.topK() > 0 && s.topK() < vocab || s.topP() < 1) {
            order = byDescending(p);
            if (s.topK() > 0) keep = Math.min(keep, s.topK());
        }
        double sum = 0;
        for (int id = 0; id < vocab; id++) sum += p[id] = Math.exp(p[id] - max);
        if (order != null) {
            if (s.topP() < 1) {
                // the smallest prefix whose mass reaches top_p (at least one token), within top_k
                double mass = 0;
                int n = 0;
                while (n < keep) {
                    mass += p[order[n]] / sum;
                    n++;
                    if (mass >= s.topP()) break;
                }
                keep = n;
            }
            double kept = 0;
            for (int i = 0; i < keep; i++) kept += p[order[i]];
            double u = rng.nextDouble() * kept;
            for (int i = 0; i < keep; i++) {
                u -= p[order[i]];
                if (u < 0) return order[i];
            }
            return order[keep - 1];
        }
        double u = rng.nextDouble() * sum;
        for (int id = 0; id < vocab; id++) {
            u -= p[id];
            if (u < 0) return id;
        }
        return argmax(logits, off, vocab);
    }

    static int argmax(float[] logits, int off, int vocab) {
        int best = 0;
        for (int id = 1; id < vocab; id++) if (logits[off + id] > logits[off + best]) best = id;
        return best;
    }

    /** Ids by descending value, ties by ascending id (a stable order, so a seed reproduces a draw). */
    private static Integer[] byDescending(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> v[a] != v[b] ? Double.compare(v[b], v[a]) : Integer.compare(a, b));
        return order;
    }
}
