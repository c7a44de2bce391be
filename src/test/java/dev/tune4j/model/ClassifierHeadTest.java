package dev.tune4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.Safetensors;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.model.SequenceClassifier.Pooling;
import dev.tune4j.model.bert.BertClassifier;
import dev.tune4j.model.bert.TinyBertClassifierCheckpoint;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Sequence classifiers started on base checkpoints (BertModel, causal LMs): which weights come from
 * the checkpoint and which are drawn, the config.json and tensor names the export writes for
 * transformers' AutoModelForSequenceClassification, and save-then-load giving the same logits.
 */
class ClassifierHeadTest {
    static final List<String> LABELS = List.of("negative", "positive", "mixed");

    @TempDir
    Path dir;

    /** A random checkpoint as a Hugging Face folder (config.json + model.safetensors), written independently of the engine's rules. */
    static Path write(Checkpoint ckpt, Path folder) throws Exception {
        Files.createDirectories(folder);
        Json.MAPPER.writeValue(folder.resolve("config.json").toFile(), ckpt.config());
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        ckpt.weights().forEach((name, v) -> w.add(name, Tensor.of(v.clone(), ckpt.shape(name))));
        w.write(folder.resolve("model.safetensors"));
        return folder;
    }

    /** Three sequences of 6: full, right-padded, left-padded. */
    static TokenBatch batch(int vocab) {
        int[][] ids = {{3, 17, 9, 40, 22, 5}, {7, 7, 30, 2, 0, 0}, {0, 0, 11, 12, 13, 14}};
        int[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}, {0, 0, 1, 1, 1, 1}};
        for (int[] row : ids) for (int i = 0; i < row.length; i++) row[i] %= vocab;
        return TokenBatch.of(ids, mask);
    }

    /** A BERT batch: right padding only, as BERT tokenizers pad. */
    static TokenBatch bertBatch() {
        int[][] ids = {{101, 17, 9, 40, 22, 102}, {101, 7, 30, 102, 0, 0}};
        int[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}};
        return TokenBatch.of(ids, mask);
    }

    static JsonNode config(Path folder) throws Exception {
        return Json.MAPPER.readTree(folder.resolve("config.json").toFile());
    }

    static Set<String> savedNames(Path folder) throws Exception {
        try (dev.tune4j.io.Checkpoint c = Safetensors.open(folder)) {
            return new TreeSet<>(c.names());
        }
    }

    static float[] values(Parameter p) {
        return p.value().toHeap().data();
    }

    static void assertLabels(JsonNode config, List<String> labels) {
        assertEquals(labels.size(), config.path("id2label").size());
        for (int i = 0; i < labels.size(); i++) {
            assertEquals(labels.get(i), config.path("id2label").path(Integer.toString(i)).asText());
            assertEquals(i, config.path("label2id").path(labels.get(i)).asInt());
        }
        assertFalse(config.has("num_labels"), "num_labels follows from id2label");
        assertEquals("single_label_classification", config.path("problem_type").asText());
    }

    @Test
    void bertModelBecomesBertForSequenceClassificationWithItsPoolerAndASeededFreshClassifier() throws Exception {
        Checkpoint base = RandomCheckpoints.bert(1);
        Path in = write(base, dir.resolve("base")), out = dir.resolve("cls");
        try (PretrainedModel m = ModelLoader.load(in.toString())) {
            BertClassifier c = assertInstanceOf(BertClassifier.class, m.classifier(LABELS));
            assertSame(c, m.module());
            assertSame(c.encoder, m.model());
            assertEquals(LABELS, m.labels());
            assertEquals(Pooling.CLS, c.pooling());
            assertArrayEquals(base.weight("pooler.dense.weight"), values(c.pooler.weight), "the checkpoint's pooler is kept");
            assertArrayEquals(base.weight("pooler.dense.bias"), values(c.pooler.bias));
            assertArrayEquals(new float[LABELS.size()], values(c.classifier.bias), "fresh biases are zero");
            double std = std(values(c.classifier.weight));
            assertTrue(std > 0.01 && std < 0.03, "fresh weights ~ N(0, initializer_range 0.02): std " + std);
            assertEquals(Set.of("pooler.weight", "pooler.bias", "classifier.weight", "classifier.bias"), c.headParameters().keySet());
            assertTrue(m.unexpectedTensors().isEmpty(), m.unexpectedTensors().toString());
            float[] logits = c.logits(bertBatch()).data();

            m.save(out, DType.F32, 1L << 30);
            JsonNode config = config(out);
            assertEquals(BertClassifier.ARCHITECTURE, config.path("architectures").path(0).asText());
            assertEquals(1, config.path("architectures").size());
            assertLabels(config, LABELS);
            Set<String> expected = base.weights().keySet().stream().map(n -> "bert." + n).collect(Collectors.toCollection(TreeSet::new));
            expected.addAll(List.of("classifier.weight", "classifier.bias"));
            assertEquals(expected, savedNames(out), "BertForSequenceClassification's own names");

            try (PretrainedModel back = ModelLoader.load(out.toString())) {
                BertClassifier b = assertInstanceOf(BertClassifier.class, back.classifier());
                assertEquals(LABELS, b.labels());
                assertSame(b, back.classifier(LABELS), "a classifier checkpoint with these labels is used as it is");
                Map<String, Parameter> p = back.namedParameters();
                c.namedParameters().forEach((name, v) -> assertArrayEquals(values(v), values(p.get(name)), name));
                assertArrayEquals(logits, b.logits(bertBatch()).data(), 1e-6f);
            }
        }
        try (PretrainedModel again = ModelLoader.load(in.toString()); PretrainedModel otherSeed = ModelLoader.load(in.toString())) {
            SequenceClassifier same = again.classifier(LABELS);
            SequenceClassifier other = otherSeed.classifier(ClassifierSpec.of(LABELS).withSeed(7));
            try (PretrainedModel first = ModelLoader.load(out.toString())) {
                assertArrayEquals(values(first.classifier().output().weight), values(same.output().weight), "the same seed draws the same head");
            }
            assertFalse(java.util.Arrays.equals(values(same.output().weight), values(other.output().weight)), "another seed, another head");
        }
    }

    static double std(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
        }
        return Math.sqrt(s2 / v.length - (s / v.length) * (s / v.length));
    }

    @Test
    void builtinMiniLmGetsAFreshPoolerAndClassifierAndExportsUnderBertNames() throws Exception {
        Path out = dir.resolve("minilm-cls");
        try (PretrainedModel m = ModelLoader.load("builtin:all-minilm-l6-v2")) {
            BertClassifier c = assertInstanceOf(BertClassifier.class, m.classifier(List.of("ham", "spam")));
            // The ONNX export has no pooler: drawn like the classifier, as transformers would.
            assertArrayEquals(new float[384], values(c.pooler.bias));
            assertTrue(std(values(c.pooler.weight)) > 0.015 && std(values(c.pooler.weight)) < 0.025, "pooler ~ N(0, 0.02)");
            TokenBatch batch = TokenBatch.of(new int[][] {{101, 7592, 2088, 102}, {101, 2088, 102, 0}}, new int[][] {{1, 1, 1, 1}, {1, 1, 1, 0}});
            float[] logits = c.logits(batch).data();
            m.save(out, DType.F32, 1L << 30);
            JsonNode config = config(out);
            assertEquals(BertClassifier.ARCHITECTURE, config.path("architectures").path(0).asText());
            assertLabels(config, List.of("ham", "spam"));
            Set<String> names = savedNames(out);
            assertEquals(101 + 4, names.size(), "encoder, pooler and classifier: " + names);
            assertTrue(names.containsAll(List.of("bert.embeddings.word_embeddings.weight", "bert.encoder.layer.5.output.LayerNorm.bias",
                    "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias")), names.toString());
            assertTrue(names.stream().allMatch(n -> n.startsWith("bert.") || n.startsWith("classifier.")), names.toString());
            assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
            try (PretrainedModel back = ModelLoader.load(out.toString())) {
                assertArrayEquals(logits, back.classifier().logits(batch).data(), 1e-6f);
            }
        }
    }

    @Test
    void meanPooledBertSavesAsBertModelWithATune4jMarkerAndAReadmeAndLoadsBackAsItself() throws Exception {
        Checkpoint base = RandomCheckpoints.bert(2);
        Path in = write(base, dir.resolve("base")), out = dir.resolve("mean");
        try (PretrainedModel m = ModelLoader.load(in.toString())) {
            BertClassifier c = assertInstanceOf(BertClassifier.class, m.classifier(ClassifierSpec.of(LABELS).withPooling(Pooling.MEAN)));
            assertEquals(Pooling.MEAN, c.pooling());
            assertNull(c.pooler);
            assertEquals(Set.of("classifier.weight", "classifier.bias"), c.headParameters().keySet());
            TokenBatch batch = bertBatch();
            float[] logits = c.logits(batch).data();
            // by hand: classifier(mean of the encoder's states over real tokens)
            float[] h = c.encoder.hidden(batch).data(), w = values(c.classifier.weight);
            int hidden = 32, t = 6;
            for (int b = 0; b < 2; b++) {
                int n = b == 0 ? 6 : 4;
                for (int k = 0; k < LABELS.size(); k++) {
                    double z = 0;
                    for (int i = 0; i < hidden; i++) {
                        double mean = 0;
                        for (int s = 0; s < n; s++) mean += h[(b * t + s) * hidden + i];
                        z += w[k * hidden + i] * mean / n;
                    }
                    assertEquals(z, logits[b * LABELS.size() + k], 1e-5, "row " + b + " class " + k);
                }
            }
            m.save(out, DType.F32, 1L << 30);
            JsonNode config = config(out);
            assertEquals("BertModel", config.path("architectures").path(0).asText(), "transformers has no class for this head");
            assertEquals("mean", config.path(BertClassifier.TUNE4J_HEAD).path("pooling").asText());
            assertLabels(config, LABELS);
            String readme = Files.readString(out.resolve("README.md"));
            assertTrue(readme.contains("**not** a `BertForSequenceClassification`") && readme.contains("AutoModelForSequenceClassification"), readme);
            Set<String> expected = new TreeSet<>(base.weights().keySet());
            expected.removeIf(n -> n.startsWith("pooler."));
            expected.addAll(List.of("classifier.weight", "classifier.bias"));
            assertEquals(expected, savedNames(out), "BertModel's names plus the head");
            try (PretrainedModel back = ModelLoader.load(out.toString())) {
                BertClassifier b = assertInstanceOf(BertClassifier.class, back.classifier());
                assertEquals(Pooling.MEAN, b.pooling());
                assertEquals(LABELS, back.labels());
                assertArrayEquals(logits, b.logits(batch).data(), 1e-6f);
            }
        }
    }

    @Test
    void aClassifierCheckpointWithOtherLabelsIsRefusedNamingBothUnlessAFreshHeadIsAskedFor() throws Exception {
        Path in = dir.resolve("cls");
        Map<String, Tensor> written = TinyBertClassifierCheckpoint.write(in, BertClassifier.ARCHITECTURE, 3);
        List<String> theirs = List.of("negative", "neutral", "positive"), ours = List.of("spam", "ham");
        try (PretrainedModel m = ModelLoader.load(in.toString())) {
            assertSame(m.module(), m.classifier(theirs).module(), "the same labels: the checkpoint's own head");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.classifier(ours));
            assertTrue(e.getMessage().contains("[negative, neutral, positive]") && e.getMessage().contains("[spam, ham]")
                    && e.getMessage().contains("fresh head"), e.getMessage());
            IllegalArgumentException pooling = assertThrows(IllegalArgumentException.class,
                    () -> m.classifier(ClassifierSpec.of(theirs).withPooling(Pooling.MEAN)));
            assertTrue(pooling.getMessage().contains("CLS") && pooling.getMessage().contains("MEAN"), pooling.getMessage());

            BertClassifier c = assertInstanceOf(BertClassifier.class, m.classifier(ClassifierSpec.of(ours).withFreshHead(true)));
            assertEquals(ours, c.labels());
            assertEquals(ours, m.labels());
            assertArrayEquals(new int[] {2, TinyBertClassifierCheckpoint.HIDDEN}, c.classifier.weight.shape());
            assertArrayEquals(written.get("bert.pooler.dense.weight").data(), values(c.pooler.weight), "the pooler is pre-trained, so kept");
            assertArrayEquals(new float[2], values(c.classifier.bias));
            assertArrayEquals(written.get("bert.encoder.layer.1.attention.self.key.weight").data(), values(c.encoder.layers.get(1).attn.k.weight));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral", "gpt2"})
    void decoderBecomesItsForSequenceClassificationClassAndSaveThenLoadGivesTheSameLogits(String family) throws Exception {
        Map<String, Object> overrides = switch (family) {
            case "qwen2" -> Map.of("pad_token_id", 5);                    // its own pad token is kept
            case "mistral" -> Map.of("eos_token_id", List.of(2, 3));     // the first EOS stands in for the pad token
            default -> Map.of();                                          // llama: eos 2, gpt2: eos 100
        };
        int pad = switch (family) {
            case "qwen2" -> 5;
            case "gpt2" -> 100;
            default -> 2;
        };
        String architecture = switch (family) {
            case "llama" -> "LlamaForSequenceClassification";
            case "qwen2" -> "Qwen2ForSequenceClassification";
            case "mistral" -> "MistralForSequenceClassification";
            default -> "GPT2ForSequenceClassification";
        };
        String backbonePrefix = family.equals("gpt2") ? "transformer." : "model.";
        Checkpoint base = RandomCheckpoints.build(family, overrides, 11);
        Path in = write(base, dir.resolve("base")), out = dir.resolve("cls");
        int vocab = ((Number) base.config().get("vocab_size")).intValue();
        try (PretrainedModel m = ModelLoader.load(in.toString())) {
            DecoderClassifier c = assertInstanceOf(DecoderClassifier.class, m.classifier(LABELS));
            assertEquals(Pooling.LAST_TOKEN, c.pooling());
            assertNull(c.backbone.lmHead, "a classifier has no LM head");
            assertEquals(Set.of("score.weight"), c.headParameters().keySet());
            assertNull(c.score.bias);
            assertTrue(m.namedParameters().keySet().stream().allMatch(n -> n.startsWith("backbone.") || n.equals("score.weight")));
            assertTrue(m.unexpectedTensors().isEmpty(), "an LM head left behind is expected: " + m.unexpectedTensors());
            float[] logits = c.logits(batch(vocab)).data();
            assertEquals(3 * LABELS.size(), logits.length);

            m.save(out, DType.F32, 1L << 30);
            JsonNode config = config(out);
            assertEquals(architecture, config.path("architectures").path(0).asText());
            assertEquals(pad, config.path("pad_token_id").asInt());
            assertLabels(config, LABELS);
            Set<String> expected = new TreeSet<>(base.weights().keySet());
            expected.remove("lm_head.weight");
            expected.add("score.weight");
            assertEquals(expected, savedNames(out));
            assertTrue(expected.stream().allMatch(n -> n.startsWith(backbonePrefix) || n.equals("score.weight")));

            try (PretrainedModel back = ModelLoader.load(out.toString())) {
                DecoderClassifier b = assertInstanceOf(DecoderClassifier.class, back.classifier());
                assertEquals(LABELS, b.labels());
                assertTrue(back.unexpectedTensors().isEmpty(), back.unexpectedTensors().toString());
                Map<String, Parameter> p = back.namedParameters();
                assertEquals(c.namedParameters().keySet(), p.keySet());
                c.namedParameters().forEach((name, v) -> assertArrayEquals(values(v), values(p.get(name)), name));
                assertArrayEquals(logits, b.logits(batch(vocab)).data(), 1e-6f);
            }
        }
    }

    @Test
    void lastTokenPoolingReadsEachSequencesLastRealTokenWhereverThePaddingIs() throws Exception {
        Path in = write(RandomCheckpoints.llama(12), dir.resolve("base"));
        try (PretrainedModel m = ModelLoader.load(in.toString())) {
            DecoderClassifier c = (DecoderClassifier) m.classifier(LABELS);
            TokenBatch padded = batch(101);
            float[] logits = c.logits(padded).data();
            // right-padded rows alone, without padding: the same logits (causal attention never reads right padding)
            int[][] rows = {{3, 17, 9, 40, 22, 5}, {7, 7, 30, 2}};
            for (int r = 0; r < 2; r++) {
                float[] alone = c.logits(TokenBatch.of(rows[r], 1, rows[r].length)).data();
                for (int k = 0; k < LABELS.size(); k++) assertEquals(alone[k], logits[r * LABELS.size() + k], 1e-5f, "row " + r);
            }
            // the left-padded row alone, with its padding masked: the batch does not matter
            float[] left = c.logits(TokenBatch.of(new int[][] {{0, 0, 11, 12, 13, 14}}, new int[][] {{0, 0, 1, 1, 1, 1}})).data();
            for (int k = 0; k < LABELS.size(); k++) assertEquals(left[k], logits[2 * LABELS.size() + k], 1e-5f, "left-padded row");
            // and the pooled token really is the last real one: the final position (padding) gives other logits
            float[] atEnd = c.logits(TokenBatch.of(new int[] {7, 7, 30, 2, 0, 0}, 1, 6)).data();
            assertTrue(Math.abs(atEnd[0] - logits[LABELS.size()]) > 1e-3, "pooling the padding would change the logits");
        }
    }

    @Test
    void poolingsEachFamilyLacksAndAMissingPadTokenAreClearErrors() throws Exception {
        Path bert = write(RandomCheckpoints.bert(4), dir.resolve("bert"));
        Path qwen = write(RandomCheckpoints.qwen2(4), dir.resolve("qwen2")); // no pad or eos id, no tokenizer
        Path llama = write(RandomCheckpoints.llama(4), dir.resolve("llama"));
        try (PretrainedModel b = ModelLoader.load(bert.toString()); PretrainedModel q = ModelLoader.load(qwen.toString());
             PretrainedModel l = ModelLoader.load(llama.toString())) {
            IllegalArgumentException last = assertThrows(IllegalArgumentException.class,
                    () -> b.classifier(ClassifierSpec.of(LABELS).withPooling(Pooling.LAST_TOKEN)));
            assertTrue(last.getMessage().contains("CLS or MEAN"), last.getMessage());
            IllegalArgumentException mean = assertThrows(IllegalArgumentException.class,
                    () -> l.classifier(ClassifierSpec.of(LABELS).withPooling(Pooling.MEAN)));
            assertTrue(mean.getMessage().contains("last token") && mean.getMessage().contains("LlamaForSequenceClassification"), mean.getMessage());
            IllegalArgumentException pad = assertThrows(IllegalArgumentException.class, () -> q.classifier(LABELS));
            assertTrue(pad.getMessage().contains("pad_token_id"), pad.getMessage());
            assertInstanceOf(dev.tune4j.nn.Transformer.class, q.module(), "a refused classifier leaves the model as it was");
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> l.classifier());
            assertTrue(none.getMessage().contains("LlamaForCausalLM"), none.getMessage());
        }
    }
}
