package dev.tune4j.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.Checkpoint;
import dev.tune4j.io.Safetensors;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.tune4j.model.bert.TinyBertClassifierCheckpoint.*;
import static org.junit.jupiter.api.Assertions.*;

/** BertForSequenceClassification checkpoints: loading pooler and classifier, their arithmetic, export, and labels. */
class BertClassifierTest {
    @TempDir
    Path dir;

    /** Three sequences of length 7, two padded, with token types. */
    static TokenBatch batch() {
        int[][] ids = {{2, 11, 25, 7, 30, 3, 0}, {2, 5, 9, 3, 0, 0, 0}, {2, 17, 17, 38, 12, 1, 3}};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 1}};
        int[] types = new int[3 * 7];
        for (int j = 4; j < 7; j++) types[2 * 7 + j] = 1;
        int[] flat = new int[3 * 7];
        for (int i = 0; i < 3; i++) System.arraycopy(ids[i], 0, flat, i * 7, 7);
        return new TokenBatch(flat, 3, 7, mask, types, null);
    }

    private static int[] bits(Tensor t) {
        float[] d = t.toHeap().data();
        int[] b = new int[d.length];
        for (int i = 0; i < d.length; i++) b[i] = Float.floatToRawIntBits(d[i]);
        return b;
    }

    @Test
    void sequenceClassificationCheckpointLoadsEncoderPoolerAndClassifierWithItsLabels() throws Exception {
        Path folder = dir.resolve("cls");
        Map<String, Tensor> written = write(folder, BertClassifier.ARCHITECTURE, 1);
        try (PretrainedModel m = ModelLoader.load(folder.toString())) {
            BertClassifier c = assertInstanceOf(BertClassifier.class, m.module());
            assertSame(c, m.classifier());
            assertSame(c.encoder, m.model(), "model() is the classifier's encoder");
            assertEquals(List.of("negative", "neutral", "positive"), c.labels());
            assertEquals(List.of("negative", "neutral", "positive"), m.labels());
            assertEquals(2, c.labelId("positive"));
            assertEquals(Map.of("negative", 0, "neutral", 1, "positive", 2), c.labelIds());
            assertEquals(0.1f, c.classifierDropout(), "classifier_dropout null falls back to hidden_dropout_prob");
            assertTrue(m.unexpectedTensors().isEmpty(), m.unexpectedTensors().toString());

            Map<String, Parameter> p = m.namedParameters();
            String[][] pairs = {
                    {"bert.pooler.dense.weight", "pooler.weight"}, {"bert.pooler.dense.bias", "pooler.bias"},
                    {"classifier.weight", "classifier.weight"}, {"classifier.bias", "classifier.bias"},
                    {"bert.embeddings.word_embeddings.weight", "encoder.embed.weight"},
                    {"bert.encoder.layer.1.attention.self.key.weight", "encoder.layers.1.attn.k.weight"},
                    {"bert.encoder.layer.1.output.LayerNorm.bias", "encoder.layers.1.norm2.bias"}};
            for (String[] pair : pairs) assertArrayEquals(bits(written.get(pair[0])), bits(p.get(pair[1]).value()), pair[0]);
            long total = written.values().stream().mapToLong(Tensor::numel).sum();
            assertEquals(total, m.parameterCount());
            assertEquals(total, c.parameterCount());
            assertEquals(LABELS * HIDDEN + LABELS + HIDDEN * HIDDEN + HIDDEN, total - c.encoder.parameterCount());
        }
    }

    @Test
    void logitsArePoolerTanhThenClassifierOverTheEncodersClsState() throws Exception {
        Path folder = dir.resolve("cls");
        Map<String, Tensor> w = write(folder, BertClassifier.ARCHITECTURE, 2);
        try (PretrainedModel m = ModelLoader.load(folder.toString())) {
            BertClassifier c = assertInstanceOf(BertClassifier.class, m.classifier());
            TokenBatch batch = batch();
            float[] logits = c.logits(batch).value().data();
            assertEquals(3 * LABELS, logits.length);
            float[] hidden = c.encoder.hidden(batch).value().data(); // [3, 7, H]: the encoder is proven elsewhere

            float[] wp = w.get("bert.pooler.dense.weight").data(), bp = w.get("bert.pooler.dense.bias").data();
            float[] wc = w.get("classifier.weight").data(), bc = w.get("classifier.bias").data();
            double worst = 0, saturated = 0;
            for (int b = 0; b < 3; b++) {
                double[] pooled = new double[HIDDEN];
                for (int o = 0; o < HIDDEN; o++) {
                    double s = bp[o];
                    for (int i = 0; i < HIDDEN; i++) s += (double) wp[o * HIDDEN + i] * hidden[b * 7 * HIDDEN + i];   // token 0: [CLS]
                    pooled[o] = Math.tanh(s);
                    saturated = Math.max(saturated, Math.abs(s));
                }
                for (int k = 0; k < LABELS; k++) {
                    double z = bc[k];
                    for (int i = 0; i < HIDDEN; i++) z += (double) wc[k * HIDDEN + i] * pooled[i];
                    worst = Math.max(worst, Math.abs(logits[b * LABELS + k] - z) / (1 + Math.abs(z)));
                }
            }
            System.out.println("BERTCLS head logits max error vs float64 " + worst + " (largest pooler pre-activation " + saturated + ")");
            assertTrue(saturated > 1.5, "the test should reach tanh's curved part: " + saturated);
            assertTrue(worst < 2e-6, "logits differ from the float64 head: " + worst);
        }
    }

    @Test
    void dropoutOnThePooledOutputAppliesOnlyInTraining() throws Exception {
        Path folder = dir.resolve("cls");
        write(folder, BertClassifier.ARCHITECTURE, 3);
        try (PretrainedModel m = ModelLoader.load(folder.toString())) {
            BertClassifier c = assertInstanceOf(BertClassifier.class, m.classifier());
            float[] eval = c.logits(batch()).value().data();
            assertArrayEquals(eval, c.logits(batch()).value().data(), "evaluation is deterministic");
            c.train(true);
            assertFalse(java.util.Arrays.equals(eval, c.logits(batch()).value().data()), "training mode drops units");
            c.train(false);
            assertArrayEquals(eval, c.logits(batch()).value().data());
        }
    }

    @Test
    void exportWritesPoolerAndClassifierBackUnderTheirNamesAndReloadsBitIdentical() throws Exception {
        Path folder = dir.resolve("cls"), out = dir.resolve("exported");
        write(folder, BertClassifier.ARCHITECTURE, 4);
        try (PretrainedModel m = ModelLoader.load(folder.toString())) {
            float[] before = m.classifier().logits(batch()).value().data();
            Map<String, int[]> originalBits = new java.util.HashMap<>();
            m.namedParameters().forEach((k, v) -> originalBits.put(k, bits(v.value())));
            m.save(out, DType.F32, 1L << 30);

            try (Checkpoint ckpt = Safetensors.open(out)) {
                for (String name : List.of("bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias",
                        "bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight")) {
                    assertTrue(ckpt.contains(name), name + " in " + ckpt.names());
                }
                assertEquals(m.rules().size(), ckpt.names().size(), "every loaded tensor, nothing else: " + ckpt.names());
            }
            JsonNode config = Json.MAPPER.readTree(out.resolve("config.json").toFile());
            assertEquals(BertClassifier.ARCHITECTURE, config.path("architectures").path(0).asText());
            assertEquals("positive", config.path("id2label").path("2").asText());
            assertEquals(1, config.path("label2id").path("neutral").asInt());

            try (PretrainedModel back = ModelLoader.load(out.toString())) {
                BertClassifier c = assertInstanceOf(BertClassifier.class, back.classifier());
                assertEquals(originalBits.keySet(), back.namedParameters().keySet());
                back.namedParameters().forEach((k, v) -> assertArrayEquals(originalBits.get(k), bits(v.value()), k));
                assertEquals(List.of("negative", "neutral", "positive"), c.labels());
                // same weights and arithmetic, up to AttentionKernel's one-ulp JIT-tier EXP difference
                assertArrayEquals(before, c.logits(batch()).value().data(), 1e-6f);
            }
        }
    }

    @Test
    void bertModelCheckpointWithTheSameTensorsStillLoadsTheBareEncoderAndIgnoresTheHead() throws Exception {
        Path cls = dir.resolve("cls"), base = dir.resolve("base");
        write(cls, BertClassifier.ARCHITECTURE, 5);
        write(base, "BertModel", 5);
        try (PretrainedModel m = ModelLoader.load(base.toString()); PretrainedModel withHead = ModelLoader.load(cls.toString())) {
            assertInstanceOf(Transformer.class, m.module());
            assertSame(m.module(), m.model());
            assertTrue(m.unexpectedTensors().isEmpty(), "pooler and classifier stay ignorable: " + m.unexpectedTensors());
            assertTrue(m.labels().isEmpty());
            assertTrue(m.namedParameters().keySet().stream().noneMatch(k -> k.startsWith("pooler") || k.startsWith("classifier")));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, m::classifier);
            assertTrue(e.getMessage().contains("BertModel") && e.getMessage().contains("ForSequenceClassification"), e.getMessage());
            // the same encoder either way
            Map<String, Parameter> a = m.namedParameters(), b = withHead.namedParameters();
            a.forEach((k, v) -> assertArrayEquals(bits(v.value()), bits(b.get("encoder." + k).value()), k));
            assertArrayEquals(m.model().hidden(batch()).value().data(), withHead.model().hidden(batch()).value().data(), 1e-6f);
        }
    }

    @Test
    void wrongClassifierShapeIsRefusedNamingTheTensor() throws Exception {
        Path folder = dir.resolve("cls");
        Map<String, Tensor> w = write(folder, BertClassifier.ARCHITECTURE, 6);
        dev.tune4j.io.SafetensorsWriter writer = new dev.tune4j.io.SafetensorsWriter(DType.F32);
        w.forEach((k, v) -> writer.add(k, k.equals("classifier.weight") ? Tensor.zeros(2, HIDDEN) : v));
        writer.write(folder.resolve("model.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(folder.toString()));
        assertTrue(e.getMessage().contains("classifier.weight") && e.getMessage().contains("[2, 16]") && e.getMessage().contains("[3, 16]"), e.getMessage());
    }

    @Test
    void gradientsThroughClassifierPoolerAndEncoderMatchFiniteDifferences() throws Exception {
        HfConfig hf = hf(TinyBertClassifierCheckpoint.config(BertClassifier.ARCHITECTURE));
        dev.tune4j.nn.TransformerConfig c = new BertFamily().config(hf);
        c.initStd = 0.4f; // pooler pre-activations of order 1: tanh well into its curve
        BertClassifier model = BertClassifier.fromConfig(c, hf);
        model.train(false);
        TokenBatch batch = batch();
        java.util.Map<String, Parameter> p = model.namedParameters();
        for (String name : List.of("classifier.weight", "pooler.weight", "pooler.bias", "encoder.layers.1.mlp.down.weight", "encoder.embed.weight")) {
            dev.tune4j.autograd.GradCheck.check("BertClassifier d/d " + name, List.of(p.get(name)), in -> model.logits(batch));
        }
    }

    private static HfConfig hf(String json) throws Exception {
        return new HfConfig(Json.MAPPER.readTree(json), "test");
    }
}
