package dev.tune4j.oracle;

import dev.tune4j.oracle.BertOracle.Pooling;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static dev.tune4j.oracle.Close.assertClose;
import static dev.tune4j.oracle.Close.gaussianFloats;
import static dev.tune4j.oracle.Close.tokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole-model behaviour the oracles must show whatever their internals: causality, padding
 * invariance, the GQA head pairing, tied heads, name prefixes, config switches that must matter,
 * and agreement between the whole-model and the per-layer entry points.
 */
class OracleModelPropertiesTest {
    private final Random rng = new Random(3);

    @Test
    void llamaLogitsEqualEmbeddingThenLayerCallsThenNormAndTiedHead() {
        Checkpoint ckpt = RandomCheckpoints.llama(21);
        int b = 2, t = 5, h = 64, v = 101;
        int[][] ids = tokens(rng, b, t, v);
        float[] e = ckpt.weight("model.embed_tokens.weight");
        float[] x = new float[b * t * h];
        for (int r = 0; r < b * t; r++) System.arraycopy(e, ids[r / t][r % t] * h, x, r * h, h);
        for (int i = 0; i < 2; i++) x = LlamaOracle.layer(ckpt, i, x, new int[]{b, t, h}, null).output();
        float[] norm = ckpt.weight("model.norm.weight");
        float[] expected = new float[b * t * v];
        for (int r = 0; r < b * t; r++) {
            double ms = 0;
            for (int k = 0; k < h; k++) ms += (double) x[r * h + k] * x[r * h + k];
            double inv = 1 / Math.sqrt(ms / h + 1e-5);
            for (int tok = 0; tok < v; tok++) {
                double dot = 0;
                for (int k = 0; k < h; k++) dot += x[r * h + k] * inv * norm[k] * e[tok * h + k];
                expected[r * v + tok] = (float) dot;
            }
        }
        OracleResult r = LlamaOracle.logits(ckpt, ids, null);
        assertEquals(java.util.List.of(b, t, v), java.util.Arrays.stream(r.outputShape()).boxed().toList());
        assertClose("logits", expected, r.output(), 1e-5);
    }

    @Test
    void futureTokensDoNotChangeEarlierLogits() {
        for (Checkpoint ckpt : new Checkpoint[]{RandomCheckpoints.llama3(22), RandomCheckpoints.gpt2(22)}) {
            boolean gpt2 = ckpt.config().get("model_type").equals("gpt2");
            int v = ((Number) ckpt.config().get("vocab_size")).intValue();
            int[][] a = tokens(rng, 1, 6, v);
            int[][] c = {a[0].clone()};
            c[0][5] = (a[0][5] + 1) % v;
            c[0][4] = (a[0][4] + 7) % v;
            float[] la = gpt2 ? Gpt2Oracle.logits(ckpt, a, null).output() : LlamaOracle.logits(ckpt, a, null).output();
            float[] lc = gpt2 ? Gpt2Oracle.logits(ckpt, c, null).output() : LlamaOracle.logits(ckpt, c, null).output();
            for (int i = 0; i < 4 * v; i++) assertEquals(la[i], lc[i], 1e-6, "position " + i / v);
            assertTrue(Close.maxAbsDiff(la, lc) > 1e-3, "the changed positions must change");
        }
    }

    @Test
    void groupedQueryAttentionEqualsMultiHeadAttentionWithEachKvHeadRepeated() {
        // 4 query heads over 2 kv heads: query heads 0,1 read kv head 0 and 2,3 read kv head 1.
        Checkpoint gqa = RandomCheckpoints.llama(23);
        int hd = 16, h = 64;
        Map<String, float[]> w = new LinkedHashMap<>(gqa.weights());
        Map<String, int[]> s = new LinkedHashMap<>(gqa.shapes());
        for (int layer = 0; layer < 2; layer++) {
            for (String proj : new String[]{"k_proj", "v_proj"}) {
                String name = "model.layers." + layer + ".self_attn." + proj + ".weight";
                float[] old = gqa.weight(name), mha = new float[4 * hd * h];
                for (int head = 0; head < 4; head++) System.arraycopy(old, (head / 2) * hd * h, mha, head * hd * h, hd * h);
                w.put(name, mha);
                s.put(name, new int[]{4 * hd, h});
            }
        }
        Map<String, Object> cfg = new HashMap<>(gqa.config());
        cfg.put("num_key_value_heads", 4);
        Checkpoint mha = new Checkpoint(cfg, w, s);
        int[][] ids = tokens(rng, 2, 6, 101);
        assertClose("logits", LlamaOracle.logits(gqa, ids, null).output(), LlamaOracle.logits(mha, ids, null).output(), 1e-6);
    }

    @Test
    void tiedHeadEqualsAnUntiedHeadHoldingACopyOfTheEmbeddings() {
        Checkpoint tied = RandomCheckpoints.build("llama", Map.of("num_hidden_layers", 1), 24);
        Map<String, float[]> w = new LinkedHashMap<>(tied.weights());
        Map<String, int[]> s = new LinkedHashMap<>(tied.shapes());
        w.put("lm_head.weight", tied.weight("model.embed_tokens.weight").clone());
        s.put("lm_head.weight", tied.shape("model.embed_tokens.weight"));
        Map<String, Object> cfg = new HashMap<>(tied.config());
        cfg.put("tie_word_embeddings", false);
        Checkpoint untied = new Checkpoint(cfg, w, s);
        int[][] ids = tokens(rng, 2, 5, 101), targets = tokens(rng, 2, 5, 101);
        OracleResult a = LlamaOracle.loss(tied, ids, targets), b = LlamaOracle.loss(untied, ids, targets);
        assertEquals(a.loss(), b.loss(), 1e-12);
        float[] sum = b.grad("model.embed_tokens.weight").clone();
        float[] head = b.grad("lm_head.weight");
        for (int i = 0; i < sum.length; i++) sum[i] += head[i];
        assertClose("tied embedding grad = lookup grad + head grad", sum, a.grad("model.embed_tokens.weight"), 1e-6);
        assertTrue(!a.grads().containsKey("lm_head.weight"));
    }

    @Test
    void lossIsTheMeanNegativeLogLikelihoodOfTheNonIgnoredTargets() {
        Checkpoint ckpt = RandomCheckpoints.qwen2(25);
        int v = 97;
        int[][] ids = tokens(rng, 2, 4, v), targets = tokens(rng, 2, 4, v);
        targets[0][0] = -100;
        targets[1][3] = -100;
        OracleResult r = LlamaOracle.loss(ckpt, ids, targets);
        double total = 0;
        int n = 0;
        for (int p = 0; p < 8; p++) {
            int target = targets[p / 4][p % 4];
            if (target == -100) continue;
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int k = 0; k < v; k++) max = Math.max(max, r.output()[p * v + k]);
            for (int k = 0; k < v; k++) z += Math.exp(r.output()[p * v + k] - max);
            total += -(r.output()[p * v + target] - max - Math.log(z));
            n++;
        }
        assertEquals(total / n, r.loss(), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> LlamaOracle.loss(ckpt, ids, new int[][]{{-100, -100, -100, -100}, {-100, -100, -100, -100}}));
    }

    @Test
    void mistralSlidingWindowMattersOnlyWhenShorterThanTheSequence() {
        Checkpoint base = RandomCheckpoints.mistral(26);
        int[][] ids = tokens(rng, 1, 7, 99);
        float[] none = LlamaOracle.logits(base.withConfig("sliding_window", null), ids, null).output();
        float[] wide = LlamaOracle.logits(base.withConfig("sliding_window", 7), ids, null).output();
        float[] narrow = LlamaOracle.logits(base.withConfig("sliding_window", 3), ids, null).output();
        assertClose("window >= T", none, wide, 1e-7);
        // The first 3 positions see all their keys either way; later ones lose the oldest.
        for (int i = 0; i < 3 * 99; i++) assertEquals(none[i], narrow[i], 1e-6);
        assertTrue(Close.maxAbsDiff(none, narrow) > 1e-3);
    }

    @Test
    void llama3RopeScalingChangesTheLogits() {
        Checkpoint scaled = RandomCheckpoints.llama3(27);
        int[][] ids = tokens(rng, 1, 7, 103);
        float[] a = LlamaOracle.logits(scaled, ids, null).output();
        float[] b = LlamaOracle.logits(scaled.withConfig("rope_scaling", null), ids, null).output();
        assertTrue(Close.maxAbsDiff(a, b) > 1e-3, "rope scaling must be applied");
    }

    @Test
    void bertPaddingDoesNotChangePooledEmbeddingsAndPoolingsAreConsistent() {
        Checkpoint ckpt = RandomCheckpoints.bert(28);
        int[][] shortIds = {{101, 5, 6, 102}};
        int[][] padded = {{101, 5, 6, 102, 0, 17, 3}};
        int[][] mask = {{1, 1, 1, 1, 0, 0, 0}};
        for (Pooling p : new Pooling[]{Pooling.MEAN, Pooling.CLS}) {
            float[] a = BertOracle.encode(ckpt, shortIds, null, null, p, true, null).output();
            float[] b = BertOracle.encode(ckpt, padded, mask, null, p, true, null).output();
            assertClose(p + " pooled", a, b, 1e-6);
            double norm = 0;
            for (float f : a) norm += f * f;
            assertEquals(1, norm, 1e-6);
        }
        OracleResult full = BertOracle.encode(ckpt, padded, mask, null, Pooling.NONE, false, null);
        assertEquals(java.util.List.of(1, 7, 32), java.util.Arrays.stream(full.outputShape()).boxed().toList());
        float[] cls = BertOracle.encode(ckpt, padded, mask, null, Pooling.CLS, false, null).output();
        assertClose("CLS = position 0", java.util.Arrays.copyOf(full.output(), 32), cls, 0);
        double[] mean = new double[32];
        for (int t = 0; t < 4; t++) for (int k = 0; k < 32; k++) mean[k] += full.output()[t * 32 + k] / 4.0;
        float[] meanF = new float[32];
        for (int k = 0; k < 32; k++) meanF[k] = (float) mean[k];
        assertClose("MEAN = average of unpadded positions", meanF, BertOracle.encode(ckpt, padded, mask, null, Pooling.MEAN, false, null).output(), 1e-6);
        // Token types are read: a different segment gives different embeddings.
        float[] typed = BertOracle.encode(ckpt, shortIds, null, new int[][]{{0, 0, 1, 1}}, Pooling.MEAN, false, null).output();
        assertTrue(Close.maxAbsDiff(typed, BertOracle.encode(ckpt, shortIds, null, null, Pooling.MEAN, false, null).output()) > 1e-3);
    }

    @Test
    void namePrefixesAreDetectedAndGradientsKeepTheCheckpointsNames() {
        Checkpoint bert = RandomCheckpoints.build("bert", Map.of("num_hidden_layers", 1), 29);
        int[][] ids = {{101, 9, 8, 102}};
        float[] up = gaussianFloats(rng, 32, 1);
        OracleResult plain = BertOracle.encode(bert, ids, null, null, Pooling.MEAN, false, up);
        OracleResult prefixed = BertOracle.encode(bert.withPrefix("bert."), ids, null, null, Pooling.MEAN, false, up);
        assertClose("bert. prefix", plain.output(), prefixed.output(), 0);
        assertClose("bert. prefix grad", plain.grad("encoder.layer.0.output.dense.weight"),
                prefixed.grad("bert.encoder.layer.0.output.dense.weight"), 0);

        Checkpoint gpt2 = RandomCheckpoints.build("gpt2", Map.of("n_layer", 1), 29);
        Map<String, float[]> w = new LinkedHashMap<>();
        Map<String, int[]> s = new LinkedHashMap<>();
        for (String n : gpt2.weights().keySet()) {
            w.put(n.substring("transformer.".length()), gpt2.weight(n));
            s.put(n.substring("transformer.".length()), gpt2.shape(n));
        }
        Checkpoint bare = new Checkpoint(gpt2.config(), w, s);
        int[][] gids = tokens(rng, 1, 5, 101);
        float[] gup = gaussianFloats(rng, 5 * 101, 1);
        OracleResult a = Gpt2Oracle.logits(gpt2, gids, gup), b = Gpt2Oracle.logits(bare, gids, gup);
        assertClose("gpt2 without transformer. prefix", a.output(), b.output(), 0);
        assertClose("gpt2 wte grad", a.grad("transformer.wte.weight"), b.grad("wte.weight"), 0);
    }

    @Test
    void badCheckpointsAndConfigsAreRefusedWithClearMessages() {
        Checkpoint ckpt = RandomCheckpoints.build("llama", Map.of("num_hidden_layers", 1), 30);
        int[][] ids = {{1, 2, 3}};
        Map<String, float[]> w = new LinkedHashMap<>(ckpt.weights());
        Map<String, int[]> s = new LinkedHashMap<>(ckpt.shapes());
        s.put("model.layers.0.self_attn.k_proj.weight", new int[]{64, 32});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LlamaOracle.logits(new Checkpoint(ckpt.config(), w, s), ids, null));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.weight has shape [64, 32], expected [32, 64]"), e.getMessage());

        w.remove("model.layers.0.mlp.up_proj.weight");
        s.remove("model.layers.0.mlp.up_proj.weight");
        s.put("model.layers.0.self_attn.k_proj.weight", new int[]{32, 64});
        e = assertThrows(IllegalArgumentException.class, () -> LlamaOracle.logits(new Checkpoint(ckpt.config(), w, s), ids, null));
        assertTrue(e.getMessage().contains("lacks weight model.layers.0.mlp.up_proj.weight"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> LlamaOracle.logits(ckpt.withConfig("rope_scaling", Map.of("rope_type", "yarn", "factor", 2.0)), ids, null));
        assertTrue(e.getMessage().contains("unsupported rope_scaling type yarn"), e.getMessage());
    }
}
