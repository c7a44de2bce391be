package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.CrossEntropyOp;
import dev.tune4j.autograd.ops.ReshapeOp;
import dev.tune4j.model.Lora;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.LoraFixtures;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The training step's fused forms against the plain ones they replace, on the small random GPT-2
 * and Llama checkpoints the oracle tests use: the LM head and loss in one chunked op
 * (LmHeadLossOp) against logits then CrossEntropyOp, and LoRA fused into its layer's GEMM against
 * the gradient of the merged weight W + scale·B·A. Equal to 1e-5 of the largest gradient (5e-5
 * against the merged weight, itself rounded to float32).
 */
class CausalLmObjectiveTest {
    @TempDir
    Path dir;

    private static LmBatch batch(int vocab) {
        TokenBatch tokens = LoraFixtures.tokens(2, 7, vocab, 3);
        int[] targets = new int[2 * 7];
        for (int i = 0; i < targets.length; i++) targets[i] = i % 7 == 6 ? LmBatch.IGNORE : tokens.ids()[i + 1];
        return new LmBatch(tokens, targets);
    }

    /** Loss and the gradient of every trainable parameter, by name. */
    private static float lossAndGrads(Transformer model, LmBatch b, boolean fused, Map<String, float[]> grads) {
        for (Parameter p : model.parameters()) p.clearGrad();
        float loss;
        try (Tape tape = Tape.record()) {
            Var l;
            if (fused) {
                l = new CausalLmObjective(model).loss(b).value();
            } else {
                Var logits = model.logits(b.tokens());
                l = CrossEntropyOp.apply(ReshapeOp.apply(logits, b.targets().length, model.config.vocabSize), b.targets(), LmBatch.IGNORE);
            }
            loss = l.value().get(0);
            tape.backward(l);
        }
        for (var e : model.namedParameters().entrySet()) if (e.getValue().grad() != null) grads.put(e.getKey(), e.getValue().grad().data().clone());
        return loss;
    }

    private static void assertClose(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertClose(expected, actual, 1e-5, what);
    }

    private static void assertClose(Map<String, float[]> expected, Map<String, float[]> actual, double tol, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": the same parameters get gradients");
        double max = 0;
        for (float[] g : expected.values()) for (float v : g) max = Math.max(max, Math.abs(v));
        assertTrue(max > 0, what + ": gradients are not all zero");
        for (var e : expected.entrySet()) {
            float[] a = actual.get(e.getKey());
            for (int i = 0; i < a.length; i++) assertEquals(e.getValue()[i], a[i], tol * max, what + ": " + e.getKey() + "[" + i + "]");
        }
    }

    @Test
    void fusedHeadAndLossEqualLogitsThenCrossEntropyInFullFineTuning() throws Exception {
        for (String family : List.of("gpt2", "llama")) {
            Transformer model = LoraFixtures.load(LoraFixtures.folder(dir.resolve(family), family, Map.of(), 5)).model();
            LmBatch b = batch(model.config.vocabSize);
            Map<String, float[]> fused = new HashMap<>(), plain = new HashMap<>();
            float lf = lossAndGrads(model, b, true, fused), lp = lossAndGrads(model, b, false, plain);
            assertEquals(lp, lf, 1e-5 * Math.abs(lp), family + ": loss");
            assertClose(plain, fused, family + " full");
        }
    }

    @Test
    void fusedLoraGradientsEqualThoseDerivedFromTheMergedWeight() throws Exception {
        for (String family : List.of("gpt2", "llama")) {
            PretrainedModel pm = LoraFixtures.load(LoraFixtures.folder(dir.resolve("lora-" + family), family, Map.of(), 6));
            LoraAdapters adapters = Lora.inject(pm, LoraConfig.of(4, 8).withTargetModules(
                    family.equals("gpt2") ? List.of("c_attn", "c_proj", "c_fc") : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")));
            LoraFixtures.randomise(adapters, 7);
            Transformer model = pm.model();
            LmBatch b = batch(model.config.vocabSize);
            Map<String, float[]> fused = new HashMap<>();
            float lf = lossAndGrads(model, b, true, fused);

            // The same model with W' = W + scale·B·A and W' trainable: dB = scale·dW'·Aᵀ, dA = sum over parts of scale·Bᵀ·dW'.
            adapters.merge();
            Map<String, Linear> adapted = new LinkedHashMap<>();
            for (var e : model.namedModules().entrySet()) if (e.getValue() instanceof Linear l && l.adapter() != null) adapted.put(e.getKey(), l);
            for (Linear l : adapted.values()) l.weight.setFrozen(false);
            Map<String, float[]> merged = new HashMap<>();
            float lm = lossAndGrads(model, b, false, merged);
            Map<Parameter, double[]> expected = new LinkedHashMap<>();
            for (Linear l : adapted.values()) {
                float[] dw = l.weight.grad().data(), a = l.adapter().a().value().data(), bm = l.adapter().b.value().data();
                int r = l.adapter().rank(), in = l.in, out = l.out;
                float s = l.adapter().scale;
                double[] db = expected.computeIfAbsent(l.adapter().b, p -> new double[out * r]);
                double[] da = expected.computeIfAbsent(l.adapter().a(), p -> new double[r * in]);
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        double g = s * (double) dw[o * in + i];
                        for (int k = 0; k < r; k++) {
                            db[o * r + k] += g * a[k * in + i];
                            da[k * in + i] += g * bm[o * r + k];
                        }
                    }
                }
                l.weight.setFrozen(true);
            }
            adapters.unmerge();
            assertEquals(lm, lf, 1e-5 * Math.abs(lm), family + ": the merged model gives the same loss");
            Map<String, float[]> want = new HashMap<>();
            Map<Parameter, String> names = new HashMap<>();
            for (var e : model.namedParameters().entrySet()) names.put(e.getValue(), e.getKey());
            for (var e : expected.entrySet()) {
                float[] f = new float[e.getValue().length];
                for (int i = 0; i < f.length; i++) f[i] = (float) e.getValue()[i];
                want.put(names.get(e.getKey()), f);
            }
            // The reference is a different float32 computation (W' rounded once, other sums), not a
            // reassociation of the same one: LinearOpTest holds the fused term to the separate products at 1e-5.
            assertClose(want, fused, 5e-5, family + " lora");
            if (family.equals("gpt2")) assertTrue(adapted.values().stream().anyMatch(l -> l.adapter().sharesA()), "c_attn's q, k, v share one A");
        }
    }

    @Test
    void aTrainingStepIsBitwiseRepeatable() throws Exception {
        PretrainedModel pm = LoraFixtures.load(LoraFixtures.folder(dir.resolve("repeat"), "gpt2", Map.of(), 8));
        LoraFixtures.randomise(Lora.inject(pm, LoraConfig.of(4, 8)), 9);
        Transformer model = pm.model();
        LmBatch b = batch(model.config.vocabSize);
        Map<String, float[]> first = new HashMap<>(), second = new HashMap<>();
        float l1 = lossAndGrads(model, b, true, first), l2 = lossAndGrads(model, b, true, second);
        assertEquals(Float.floatToIntBits(l1), Float.floatToIntBits(l2));
        for (var e : first.entrySet()) assertArrayEquals(e.getValue(), second.get(e.getKey()), e.getKey());
    }
}
