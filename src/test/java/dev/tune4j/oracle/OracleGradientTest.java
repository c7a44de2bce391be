package dev.tune4j.oracle;

import dev.tune4j.oracle.BertOracle.Pooling;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.tune4j.oracle.Close.gaussianFloats;
import static dev.tune4j.oracle.Close.tokens;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every oracle's gradients (weights by Hugging Face name, and input hidden states) against central
 * finite differences of its own float64 loss, on tiny random checkpoints.
 */
class OracleGradientTest {
    private final Random rng = new Random(11);

    private static Set<String> layerWeights(Checkpoint ckpt, String prefix) {
        Set<String> s = new HashSet<>();
        for (String n : ckpt.weights().keySet()) if (n.startsWith(prefix)) s.add(n);
        return s;
    }

    private void report(String what, double weights, double input) {
        System.out.printf("ORACLE-GRADCHECK %s weights-rel=%.2e input-rel=%.2e%n", what, weights, input);
    }

    @Test
    void qwen2LayerWithBiasesMatchesFiniteDifferences() {
        Checkpoint ckpt = RandomCheckpoints.qwen2(1);
        int[] shape = {2, 5, 64};
        float[] x = gaussianFloats(rng, 2 * 5 * 64, 1), up = gaussianFloats(rng, 2 * 5 * 64, 1);
        OracleResult r = LlamaOracle.layer(ckpt, 1, x, shape, up);
        assertEquals(layerWeights(ckpt, "model.layers.1."), r.grads().keySet());
        double wErr = FiniteDifferences.checkWeights("qwen2 layer", ckpt, r.grads(), c -> LlamaOracle.layer(c, 1, x, shape, up).loss(), 2, rng);
        double xErr = FiniteDifferences.checkInput("qwen2 layer", x, r.inputGrad(), xi -> LlamaOracle.layer(ckpt, 1, xi, shape, up).loss(), 8, rng);
        report("qwen2-layer", wErr, xErr);
    }

    @Test
    void mistralLayerWithWideHeadsAndSlidingWindowMatchesFiniteDifferences() {
        // head_dim 24 * 4 heads = 96 != hidden 64, and a window of 3 shorter than T = 7.
        Checkpoint ckpt = RandomCheckpoints.build("mistral", Map.of("head_dim", 24, "sliding_window", 3, "num_hidden_layers", 1), 2);
        int[] shape = {1, 7, 64};
        float[] x = gaussianFloats(rng, 7 * 64, 1), up = gaussianFloats(rng, 7 * 64, 1);
        OracleResult r = LlamaOracle.layer(ckpt, 0, x, shape, up);
        double wErr = FiniteDifferences.checkWeights("mistral layer", ckpt, r.grads(), c -> LlamaOracle.layer(c, 0, x, shape, up).loss(), 2, rng);
        double xErr = FiniteDifferences.checkInput("mistral layer", x, r.inputGrad(), xi -> LlamaOracle.layer(ckpt, 0, xi, shape, up).loss(), 8, rng);
        report("mistral-layer", wErr, xErr);
    }

    @Test
    void tiedLlamaLossMatchesFiniteDifferences() {
        Checkpoint ckpt = RandomCheckpoints.build("llama", Map.of("num_hidden_layers", 1), 3);
        int[][] ids = tokens(rng, 2, 6, 101);
        int[][] targets = tokens(rng, 2, 6, 101);
        targets[0][5] = -100;
        targets[1][0] = -100;
        OracleResult r = LlamaOracle.loss(ckpt, ids, targets);
        assertEquals(ckpt.weights().keySet(), r.grads().keySet());
        double wErr = FiniteDifferences.checkWeights("llama loss", ckpt, r.grads(), c -> LlamaOracle.loss(c, ids, targets).loss(), 3, rng);
        report("llama-loss", wErr, Double.NaN);
    }

    @Test
    void llama3LogitsMatchFiniteDifferencesAndEmbeddingGradIsTheScatteredInputGrad() {
        Checkpoint ckpt = RandomCheckpoints.build("llama3", Map.of("num_hidden_layers", 1), 4);
        int[][] ids = {{5, 9, 5, 17, 2}, {9, 9, 0, 1, 102}};
        float[] up = gaussianFloats(rng, 2 * 5 * 103, 1);
        OracleResult r = LlamaOracle.logits(ckpt, ids, up);
        assertEquals(ckpt.weights().keySet(), r.grads().keySet());
        double wErr = FiniteDifferences.checkWeights("llama3 logits", ckpt, r.grads(), c -> LlamaOracle.logits(c, ids, up).loss(), 2, rng);
        report("llama3-logits", wErr, Double.NaN);
        // Untied: the embedding table is only read by the lookup, so its gradient is the input
        // gradient summed into the rows of the tokens that were looked up.
        float[] expected = new float[103 * 64];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                for (int h = 0; h < 64; h++) expected[ids[b][t] * 64 + h] += r.inputGrad()[(b * 5 + t) * 64 + h];
            }
        }
        Close.assertClose("embed grad", expected, r.grad("model.embed_tokens.weight"), 1e-6);
    }

    @Test
    void gpt2LayerAndLossMatchFiniteDifferences() {
        Checkpoint ckpt = RandomCheckpoints.build("gpt2", Map.of("n_layer", 1), 5);
        int[] shape = {2, 4, 48};
        float[] x = gaussianFloats(rng, 2 * 4 * 48, 1), up = gaussianFloats(rng, 2 * 4 * 48, 1);
        OracleResult layer = Gpt2Oracle.layer(ckpt, 0, x, shape, up);
        assertEquals(layerWeights(ckpt, "transformer.h.0."), layer.grads().keySet());
        double wErr = FiniteDifferences.checkWeights("gpt2 layer", ckpt, layer.grads(), c -> Gpt2Oracle.layer(c, 0, x, shape, up).loss(), 2, rng);
        double xErr = FiniteDifferences.checkInput("gpt2 layer", x, layer.inputGrad(), xi -> Gpt2Oracle.layer(ckpt, 0, xi, shape, up).loss(), 8, rng);
        report("gpt2-layer", wErr, xErr);

        int[][] ids = tokens(rng, 2, 7, 101), targets = tokens(rng, 2, 7, 101);
        targets[1][3] = -100;
        OracleResult loss = Gpt2Oracle.loss(ckpt, ids, targets);
        assertEquals(ckpt.weights().keySet(), loss.grads().keySet());
        double lErr = FiniteDifferences.checkWeights("gpt2 loss", ckpt, loss.grads(), c -> Gpt2Oracle.loss(c, ids, targets).loss(), 2, rng);
        report("gpt2-loss", lErr, Double.NaN);
    }

    @Test
    void decoderClassifiersWithClassWeightsAndRightPaddingMatchFiniteDifferences() {
        float[] weights = {0.5f, 2f, 1.25f};
        int[] lengths = {6, 3, 1};
        int[] labels = {2, 0, 1};
        for (String family : new String[] {"qwen2", "gpt2"}) {
            String layers = family.equals("gpt2") ? "n_layer" : "num_hidden_layers";
            Checkpoint ckpt = RandomCheckpoints.classifier(family, 3, Map.of(layers, 1), 8);
            int[][] ids = tokens(rng, 3, 6, 97);
            OracleResult r = family.equals("gpt2") ? Gpt2Oracle.classify(ckpt, ids, lengths, labels, weights)
                    : LlamaOracle.classify(ckpt, ids, lengths, labels, weights);
            assertEquals(ckpt.weights().keySet(), r.grads().keySet());
            assertEquals(java.util.List.of(3, 3), java.util.List.of(r.outputShape()[0], r.outputShape()[1]));
            double wErr = FiniteDifferences.checkWeights(family + " classify", ckpt, r.grads(), c -> (family.equals("gpt2")
                    ? Gpt2Oracle.classify(c, ids, lengths, labels, weights) : LlamaOracle.classify(c, ids, lengths, labels, weights)).loss(), 2, rng);
            report(family + "-classify", wErr, Double.NaN);
        }
    }

    @Test
    void bertLayerWithPaddingMatchesFiniteDifferences() {
        Checkpoint ckpt = RandomCheckpoints.bert(6);
        int[] shape = {2, 5, 32};
        int[][] mask = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}};
        float[] x = gaussianFloats(rng, 2 * 5 * 32, 1), up = gaussianFloats(rng, 2 * 5 * 32, 1);
        OracleResult r = BertOracle.layer(ckpt, 1, x, shape, mask, up);
        assertEquals(layerWeights(ckpt, "encoder.layer.1."), r.grads().keySet());
        double wErr = FiniteDifferences.checkWeights("bert layer", ckpt, r.grads(), c -> BertOracle.layer(c, 1, x, shape, mask, up).loss(), 2, rng);
        double xErr = FiniteDifferences.checkInput("bert layer", x, r.inputGrad(), xi -> BertOracle.layer(ckpt, 1, xi, shape, mask, up).loss(), 8, rng);
        report("bert-layer", wErr, xErr);
    }

    @Test
    void bertMeanPooledNormalisedEmbeddingsMatchFiniteDifferences() {
        Checkpoint ckpt = RandomCheckpoints.build("bert", Map.of("num_hidden_layers", 1), 7);
        int[][] ids = {{101, 7, 8, 9, 102, 0}, {101, 50, 102, 0, 0, 0}};
        int[][] mask = {{1, 1, 1, 1, 1, 0}, {1, 1, 1, 0, 0, 0}};
        int[][] types = {{0, 0, 0, 1, 1, 0}, {0, 0, 0, 0, 0, 0}};
        float[] up = gaussianFloats(rng, 2 * 32, 1);
        OracleResult r = BertOracle.encode(ckpt, ids, mask, types, Pooling.MEAN, true, up);
        Set<String> expected = new HashSet<>(ckpt.weights().keySet());
        expected.removeIf(n -> n.startsWith("pooler."));
        assertEquals(expected, r.grads().keySet());
        double wErr = FiniteDifferences.checkWeights("bert mean", ckpt, r.grads(),
                c -> BertOracle.encode(c, ids, mask, types, Pooling.MEAN, true, up).loss(), 2, rng);
        report("bert-mean-normalized", wErr, Double.NaN);
    }

    @Test
    void loraWeightsInLlamaAndGpt2LossesMatchFiniteDifferences() {
        Checkpoint llama = RandomCheckpoints.withLora(RandomCheckpoints.build("llama", Map.of("num_hidden_layers", 1), 8),
                java.util.List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.0.mlp.down_proj"), 3, 6, false, 9);
        Checkpoint gpt2 = RandomCheckpoints.withLora(RandomCheckpoints.build("gpt2", Map.of("n_layer", 1), 10),
                java.util.List.of("transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_proj"), 2, 4, true, 11);
        int[][] ids = tokens(rng, 2, 5, 97), targets = tokens(rng, 2, 5, 97);
        for (Checkpoint ckpt : java.util.List.of(llama, gpt2)) {
            boolean isGpt2 = ckpt.has("transformer.wte.weight");
            OracleResult r = isGpt2 ? Gpt2Oracle.loss(ckpt, ids, targets) : LlamaOracle.loss(ckpt, ids, targets);
            Map<String, float[]> lora = new java.util.TreeMap<>(r.grads());
            lora.keySet().removeIf(n -> !n.contains(".lora_"));
            assertEquals(isGpt2 ? 4 : 6, lora.size(), "every LoRA weight is used");
            OracleResult plain = isGpt2 ? Gpt2Oracle.loss(RandomCheckpoints.build("gpt2", Map.of("n_layer", 1), 10), ids, targets)
                    : LlamaOracle.loss(RandomCheckpoints.build("llama", Map.of("num_hidden_layers", 1), 8), ids, targets);
            org.junit.jupiter.api.Assertions.assertNotEquals(plain.loss(), r.loss(), "the adapters change the loss");
            double err = FiniteDifferences.checkWeights(isGpt2 ? "gpt2 lora" : "llama lora", ckpt, lora,
                    c -> (isGpt2 ? Gpt2Oracle.loss(c, ids, targets) : LlamaOracle.loss(c, ids, targets)).loss(), 3, rng);
            report(isGpt2 ? "gpt2-lora" : "llama-lora", err, Double.NaN);
        }
    }
}
