package dev.tune4j.data.collate;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackingTest {
    private static final int VOCAB = 40;

    /** Examples of the given lengths; the first third of each is a "prompt" that carries no loss. */
    private static List<LmBatch> examples(long seed, int... lengths) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<LmBatch> out = new ArrayList<>();
        for (int n : lengths) {
            int[] ids = new int[n], targets = new int[n];
            for (int t = 0; t < n; t++) ids[t] = rng.nextInt(VOCAB);
            Arrays.fill(targets, LmBatch.IGNORE);
            for (int t = n / 3; t + 1 < n; t++) targets[t] = ids[t + 1];
            out.add(LmRows.row(ids, targets, null, null));
        }
        return out;
    }

    @Test
    void bestFitDecreasingFillsRowsWithoutCuttingAnExample() {
        Packing.Result r = Packing.pack(examples(1, 60, 50, 40, 30, 20, 10, 35, 25, 64, 5), 64, false);
        long total = 60 + 50 + 40 + 30 + 20 + 10 + 35 + 25 + 64 + 5;
        assertEquals(total, r.tokens());
        // 339 tokens in rows of 64 need at least 6 rows; best-fit decreasing finds exactly that here
        assertEquals(6, r.rows().size(), "rows: " + r.rows().stream().map(b -> b.tokens().seq()).toList());
        for (LmBatch row : r.rows()) assertTrue(row.tokens().seq() <= 64);
        System.out.printf("packing: %d examples, %d tokens into %d rows of 64, fill %.1f%%%n", 10, total, r.rows().size(), 100 * r.fill());
    }

    @Test
    void anExampleLongerThanARowIsRefusedUnlessCuttingIsAllowed() {
        assertThrows(IllegalArgumentException.class, () -> Packing.pack(examples(1, 70), 64, false));
        Packing.Result cut = Packing.pack(examples(1, 70), 64, true);
        assertEquals(70, cut.tokens());
        assertEquals(2, cut.rows().size());
    }

    private static Map<String, float[]> grads(Transformer m) {
        Map<String, float[]> g = new LinkedHashMap<>();
        for (Parameter p : m.trainableParameters()) g.put(p.name(), p.grad() == null ? new float[(int) p.value().numel()] : p.grad().data().clone());
        return g;
    }

    /** Summed loss (mean x count) and the gradients of that sum. */
    private static double lossAndGrads(Transformer m, LmBatch b, Map<String, float[]> out) {
        m.zeroGrad();
        try (Tape tape = Tape.record()) {
            Objective.Loss l = new CausalLmObjective(m).loss(b);
            tape.backward(l.value(), (float) l.weight());
            out.putAll(grads(m));
            return l.scalar() * l.weight();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void eachPackedExampleHasTheLossAndGradientsItHasAlone(String family) {
        TransformerConfig c = family.equals("llama") ? TransformerConfig.llamaLike(VOCAB, 32, 2, 4, 2, 64)
                : TransformerConfig.gpt2Like(VOCAB, 32, 2, 4, 64);
        c.seed = 11;
        Transformer m = new Transformer(c);
        m.train(false);
        List<LmBatch> ex = examples(2, 21, 14, 9, 17);
        LmBatch packed = Packing.pack(ex, 64, false).rows().getFirst();
        assertEquals(61, packed.tokens().seq(), "all four in one row");
        // score the examples one at a time: in the packed row by masking the others' targets
        int[] order = segmentOrder(packed);
        for (int s = 0; s < ex.size(); s++) {
            LmBatch alone = ex.get(order[s]);
            Map<String, float[]> gAlone = new LinkedHashMap<>(), gPacked = new LinkedHashMap<>();
            double lAlone = lossAndGrads(m, alone, gAlone);
            double lPacked = lossAndGrads(m, onlySegment(packed, s), gPacked);
            assertEquals(lAlone, lPacked, 1e-5 * Math.abs(lAlone), family + ": loss of example " + s);
            double largest = 0; // a key bias has no true gradient (softmax ignores it): judge its rounding noise against the largest
            for (float[] a : gAlone.values()) for (float v : a) largest = Math.max(largest, Math.abs(v));
            for (String name : gAlone.keySet()) {
                float[] a = gAlone.get(name), p = gPacked.get(name);
                double scale = 1e-3 * largest;
                for (float v : a) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], p[i], 1e-5 * scale, family + ": gradient of " + name + "[" + i + "], example " + s);
                }
            }
        }
    }

    /** Which input example each segment of the packed row holds (matched by length, all distinct here). */
    private static int[] segmentOrder(LmBatch packed) {
        int[] seg = packed.tokens().segments()[0];
        int[] lengths = {21, 14, 9, 17};
        int segments = seg[seg.length - 1] + 1;
        int[] order = new int[segments];
        for (int s = 0; s < segments; s++) {
            int n = 0;
            for (int v : seg) if (v == s) n++;
            for (int i = 0; i < lengths.length; i++) if (lengths[i] == n) order[s] = i;
        }
        return order;
    }

    private static LmBatch onlySegment(LmBatch packed, int s) {
        int[] targets = packed.targets().clone(), seg = packed.tokens().segments()[0];
        for (int i = 0; i < targets.length; i++) if (seg[i] != s) targets[i] = LmBatch.IGNORE;
        return new LmBatch(packed.tokens(), targets);
    }
}
