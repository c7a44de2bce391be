package dev.tune4j.io.peft;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.io.Safetensors;
import dev.tune4j.io.SafetensorsFile;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.model.Lora;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.LoraFixtures;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** Adapters in PEFT's folder layout: what is written, what reads back, and that a hand-made PEFT adapter computes PEFT's maths. */
class PeftAdapterTest {
    @TempDir
    Path dir;

    private static Set<String> tensorNames(Path file) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return new TreeSet<>(f.names());
        }
    }

    @Test
    void aSavedClassifierAdapterHasPeftsNamesShapesAndConfig() throws Exception {
        Path base = LoraFixtures.bertClassifier(dir.resolve("base"), 1);
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(2, 4).withTargetModules(List.of("query", "value")).withDropout(0.05));
            Path out = dir.resolve("adapter");
            assertEquals(List.of(out.resolve("adapter_model.safetensors"), out.resolve("adapter_config.json")), PeftAdapter.save(out, m, a));

            Set<String> expected = new TreeSet<>();
            for (int i = 0; i < 2; i++) {
                for (String lin : List.of("query", "value")) {
                    for (String ab : List.of("lora_A", "lora_B")) expected.add("base_model.model.bert.encoder.layer." + i + ".attention.self." + lin + "." + ab + ".weight");
                }
            }
            expected.add("base_model.model.classifier.weight");
            expected.add("base_model.model.classifier.bias");
            assertEquals(expected, tensorNames(out.resolve("adapter_model.safetensors")));
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
                assertArrayEquals(new int[] {2, 16}, f.tensor("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight").shape());
                assertArrayEquals(new int[] {16, 2}, f.tensor("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight").shape());
                assertArrayEquals(new int[] {3, 16}, f.tensor("base_model.model.classifier.weight").shape());
                assertEquals("pt", f.metadata().get("format"));
            }

            JsonNode c = Json.MAPPER.readTree(out.resolve("adapter_config.json").toFile());
            assertEquals("LORA", c.get("peft_type").asText());
            assertEquals(2, c.get("r").asInt());
            assertTrue(c.get("lora_alpha").isIntegralNumber(), "lora_alpha is an int in PEFT");
            assertEquals(4, c.get("lora_alpha").asInt());
            assertEquals(0.05, c.get("lora_dropout").asDouble(), 1e-12);
            assertEquals(List.of("query", "value"), List.of(c.get("target_modules").get(0).asText(), c.get("target_modules").get(1).asText()));
            assertEquals("classifier", c.get("modules_to_save").get(0).asText());
            assertEquals("SEQ_CLS", c.get("task_type").asText());
            assertEquals("none", c.get("bias").asText());
            assertFalse(c.get("fan_in_fan_out").asBoolean());
            assertFalse(c.get("use_rslora").asBoolean());
            assertFalse(c.get("use_dora").asBoolean());
            assertTrue(c.get("init_lora_weights").asBoolean());
            assertTrue(c.get("inference_mode").asBoolean());
            assertEquals(base.toString(), c.get("base_model_name_or_path").asText());
            List<String> keys = new java.util.ArrayList<>();
            c.fieldNames().forEachRemaining(keys::add);
            assertEquals(keys.stream().sorted().toList(), keys, "keys sorted, as PEFT writes them");
        }
    }

    @Test
    void aLlamaAdapterIsNamedAfterLlamaForCausalLmModules() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.folder(dir.resolve("base"), "llama", Map.of(), 2))) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 8).withTargetModules(List.of("q_proj")).withRslora(true));
            Path out = dir.resolve("adapter");
            PeftAdapter.save(out, m, a);
            assertEquals(Set.of("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"),
                    tensorNames(out.resolve("adapter_model.safetensors")));
            JsonNode c = Json.MAPPER.readTree(out.resolve("adapter_config.json").toFile());
            assertEquals("CAUSAL_LM", c.get("task_type").asText());
            assertTrue(c.get("use_rslora").asBoolean());
            assertTrue(c.get("modules_to_save").isNull());
            assertEquals(LoraConfig.of(4, 8).withTargetModules(List.of("q_proj")).withRslora(true).withModulesToSave(List.of()), PeftAdapter.readConfig(out));
        }
    }

    @Test
    void saveThenLoadGivesIdenticalOutputsForAClassifierWithItsHead() throws Exception {
        Path base = LoraFixtures.bertClassifier(dir.resolve("base"), 3);
        TokenBatch batch = LoraFixtures.tokens(3, 6, 40, 4);
        float[] adapted;
        Path out = dir.resolve("adapter");
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(3, 6));
            LoraFixtures.randomise(a, 5);
            adapted = LoraFixtures.logits(m, batch);
            PeftAdapter.save(out, m, a);
        }
        try (PretrainedModel m = LoraFixtures.load(base)) {
            float[] plain = LoraFixtures.logits(m, batch);
            assertFalse(java.util.Arrays.equals(plain, adapted));
            LoraAdapters a = PeftAdapter.load(out, m);
            assertEquals(List.of("classifier"), a.config().modulesToSave());
            assertArrayEquals(adapted, LoraFixtures.logits(m, batch), "bit-identical after save and load");
        }
    }

    @Test
    void aGpt2FusedCAttnAdapterRoundTrips() throws Exception {
        Path base = LoraFixtures.folder(dir.resolve("base"), "gpt2", Map.of(), 6);
        TokenBatch batch = LoraFixtures.tokens(2, 7, 101, 7);
        float[] adapted;
        Path out = dir.resolve("adapter");
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 8).withTargetModules(List.of("c_attn")));
            LoraFixtures.randomise(a, 8);
            adapted = LoraFixtures.logits(m, batch);
            PeftAdapter.save(out, m, a);
        }
        JsonNode c = Json.MAPPER.readTree(out.resolve("adapter_config.json").toFile());
        assertTrue(c.get("fan_in_fan_out").asBoolean());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(4, f.names().size());
            assertArrayEquals(new int[] {4, 48}, f.tensor("base_model.model.transformer.h.1.attn.c_attn.lora_A.weight").shape());
            assertArrayEquals(new int[] {144, 4}, f.tensor("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight").shape());
        }
        try (PretrainedModel m = LoraFixtures.load(base)) {
            PeftAdapter.load(out, m);
            assertArrayEquals(adapted, LoraFixtures.logits(m, batch));
        }
    }

    // ---- adapters written by hand in PEFT's layout (not with tune4j's writer) ----

    /** A safetensors file assembled byte by byte: 8-byte little-endian header length, JSON header, little-endian F32 data. */
    static void writeRawSafetensors(Path file, Map<String, Tensor> tensors) throws Exception {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (var e : tensors.entrySet()) {
            float[] v = e.getValue().toHeap().data();
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putFloat(x);
            int begin = data.size();
            data.write(b.array());
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(begin).append(',').append(data.size()).append("]}");
        }
        header.append('}');
        while (header.length() % 8 != 0) header.append(' ');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        all.write(h);
        all.write(data.toByteArray());
        Files.write(file, all.toByteArray());
    }

    static Path handAdapter(Path dir, String config, Map<String, Tensor> tensors) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_config.json"), config);
        writeRawSafetensors(dir.resolve("adapter_model.safetensors"), tensors);
        return dir;
    }

    /** adapter_config.json as PEFT 0.13-0.17 writes it for a BertModel (from PEFT's checkpoint format guide), with r, alpha and targets filled in. */
    static String bertConfig(int r, int alpha, String targets, String extra) {
        return """
                {
                  "alpha_pattern": {},
                  "auto_mapping": {"base_model_class": "BertModel", "parent_library": "transformers.models.bert.modeling_bert"},
                  "base_model_name_or_path": "tiny-bert",
                  "bias": "none",
                  "fan_in_fan_out": false,
                  "inference_mode": true,
                  "init_lora_weights": true,
                  "layer_replication": null,
                  "layers_pattern": null,
                  "layers_to_transform": null,
                  "loftq_config": {},
                  "lora_alpha": %d,
                  "lora_dropout": 0.1,
                  "megatron_config": null,
                  "megatron_core": "megatron.core",
                  "modules_to_save": null,
                  "peft_type": "LORA",
                  "peft_version": "0.17.1",
                  "r": %d,
                  "rank_pattern": {},
                  "revision": null,
                  "target_modules": %s,
                  "task_type": null,
                  %s
                  "use_dora": false,
                  "use_rslora": false
                }""".formatted(alpha, r, targets, extra);
    }

    /** A BertModel (bare encoder) folder: the tiny classifier checkpoint read as BertModel. */
    private Path bertModel(long seed) throws Exception {
        Path p = dir.resolve("bert-model");
        dev.tune4j.model.bert.TinyBertClassifierCheckpoint.write(p, "BertModel", seed);
        return p;
    }

    private static Map<String, Tensor> bertLora(int r, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int i = 0; i < 2; i++) {
            for (String lin : List.of("query", "value")) {
                String p = "base_model.model.encoder.layer." + i + ".attention.self." + lin;
                t.put(p + ".lora_A.weight", Tensor.randn(rng, 0.4f, r, 16));
                t.put(p + ".lora_B.weight", Tensor.randn(rng, 0.4f, 16, r));
            }
        }
        return t;
    }

    @Test
    void aHandWrittenPeftAdapterComputesTheBasePlusScaledBA() throws Exception {
        Path base = bertModel(9);
        Map<String, Tensor> lora = bertLora(4, 10);
        Path adapter = handAdapter(dir.resolve("hand"), bertConfig(4, 8, "[\"query\", \"value\"]", ""), lora);
        TokenBatch batch = new TokenBatch(new int[] {1, 5, 9, 2, 7, 3, 3, 0}, 2, 4, new int[][] {{1, 1, 1, 1}, {1, 1, 1, 0}}, null, null);
        float[] withAdapter, handMerged;
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = PeftAdapter.load(adapter, m);
            assertEquals(0.1, a.config().dropout(), 1e-12);
            assertEquals(8, a.targets().size() * 2);
            withAdapter = m.model().hidden(batch).data().clone();
        }
        // Independently: W' = W + (alpha / r)·B·A in float64, written into a plain copy of the base.
        try (PretrainedModel m = LoraFixtures.load(base)) {
            for (int i = 0; i < 2; i++) {
                for (String lin : List.of("query", "value")) {
                    String p = "base_model.model.encoder.layer." + i + ".attention.self." + lin;
                    var layer = m.model().layers.get(i).attn;
                    var target = lin.equals("query") ? layer.q : layer.v;
                    float[] w = target.weight.value().toHeap().data().clone(), av = lora.get(p + ".lora_A.weight").data(), bv = lora.get(p + ".lora_B.weight").data();
                    for (int o = 0; o < 16; o++) {
                        for (int k = 0; k < 16; k++) {
                            double s = 0;
                            for (int j = 0; j < 4; j++) s += (double) bv[o * 4 + j] * av[j * 16 + k];
                            w[o * 16 + k] += (float) (8.0 / 4 * s);
                        }
                    }
                    target.weight.setValue(Tensor.of(w, 16, 16));
                }
            }
            handMerged = m.model().hidden(batch).data().clone();
        }
        double worst = 0;
        for (int i = 0; i < handMerged.length; i++) worst = Math.max(worst, Math.abs(handMerged[i] - withAdapter[i]));
        assertTrue(worst < 1e-4, "hidden states differ by " + worst);
    }

    @Test
    void aHandWrittenGpt2AdapterSplitsTheFusedCAttnUpdateAsPeftDoes() throws Exception {
        Path base = LoraFixtures.folder(dir.resolve("base"), "gpt2", Map.of("n_layer", 1), 11);
        int r = 3, e = 48;
        SplittableRandom rng = new SplittableRandom(12);
        Tensor a = Tensor.randn(rng, 0.3f, r, e), b = Tensor.randn(rng, 0.3f, 3 * e, r);
        Path adapter = handAdapter(dir.resolve("hand"), """
                {"peft_type": "LORA", "r": 3, "lora_alpha": 6, "target_modules": ["c_attn"], "fan_in_fan_out": true,
                 "task_type": "CAUSAL_LM", "bias": "none", "use_rslora": false, "modules_to_save": null}""",
                Map.of("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", a, "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight", b));
        TokenBatch batch = LoraFixtures.tokens(2, 5, 101, 13);
        float[] withAdapter;
        try (PretrainedModel m = LoraFixtures.load(base)) {
            PeftAdapter.load(adapter, m);
            withAdapter = LoraFixtures.logits(m, batch);
        }
        // PEFT's merge for a Conv1D: W [in, 3·out] += scale·(B·A)ᵀ, written as a new base checkpoint.
        Path merged = dir.resolve("hand-merged");
        Files.createDirectories(merged);
        Files.copy(base.resolve("config.json"), merged.resolve("config.json"));
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        try (SafetensorsFile f = SafetensorsFile.open(base.resolve(Safetensors.SINGLE_FILE))) {
            for (String name : f.names()) {
                float[] v = f.tensor(name).toHeap().data().clone();
                if (name.equals("transformer.h.0.attn.c_attn.weight")) {
                    for (int in = 0; in < e; in++) {
                        for (int out = 0; out < 3 * e; out++) {
                            double s = 0;
                            for (int j = 0; j < r; j++) s += (double) b.data()[out * r + j] * a.data()[j * e + in];
                            v[in * 3 * e + out] += (float) (2.0 * s);
                        }
                    }
                }
                w.add(name, Tensor.of(v, f.tensor(name).shape()));
            }
        }
        w.write(merged.resolve(Safetensors.SINGLE_FILE));
        try (PretrainedModel m = LoraFixtures.load(merged)) {
            float[] expected = LoraFixtures.logits(m, batch);
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], withAdapter[i], 1e-4 * (1 + Math.abs(expected[i])));
        }
    }

    @Test
    void aSequenceClassificationAdapterMayListModulesToSaveItHasNoTensorsFor() throws Exception {
        Path base = LoraFixtures.bertClassifier(dir.resolve("base"), 14);
        SplittableRandom rng = new SplittableRandom(15);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int i = 0; i < 2; i++) {
            String p = "base_model.model.bert.encoder.layer." + i + ".attention.self.query";
            t.put(p + ".lora_A.weight", Tensor.randn(rng, 0.3f, 2, 16));
            t.put(p + ".lora_B.weight", Tensor.randn(rng, 0.3f, 16, 2));
        }
        Tensor head = Tensor.randn(rng, 0.3f, 3, 16), headBias = Tensor.randn(rng, 0.3f, 3);
        t.put("base_model.model.classifier.weight", head);
        t.put("base_model.model.classifier.bias", headBias);
        // PEFT's PeftModelForSequenceClassification adds "classifier" and "score" to modules_to_save.
        Path adapter = handAdapter(dir.resolve("hand"), """
                {"peft_type": "LORA", "r": 2, "lora_alpha": 2, "target_modules": ["query"], "task_type": "SEQ_CLS",
                 "modules_to_save": ["classifier", "score"]}""", t);
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = PeftAdapter.load(adapter, m);
            assertEquals(List.of("classifier"), a.config().modulesToSave());
            assertArrayEquals(head.data(), m.classifier().output().weight.data());
            assertArrayEquals(headBias.data(), m.classifier().output().bias.data());
            assertFalse(m.classifier().output().weight.frozen());
        }
    }

    private String loadError(Path base, String config, Map<String, Tensor> tensors, String name) throws Exception {
        Path adapter = handAdapter(dir.resolve(name), config, tensors);
        try (PretrainedModel m = LoraFixtures.load(base)) {
            return assertThrows(IllegalArgumentException.class, () -> PeftAdapter.load(adapter, m)).getMessage();
        }
    }

    @Test
    void mismatchingAdaptersAreRefusedWithTheTensorAndTheReason() throws Exception {
        Path base = bertModel(16);
        String config = bertConfig(4, 8, "[\"query\", \"value\"]", "");
        String q0 = "base_model.model.encoder.layer.0.attention.self.query";

        Map<String, Tensor> wrongShape = bertLora(4, 17);
        wrongShape.put(q0 + ".lora_A.weight", Tensor.zeros(4, 15));
        String e = loadError(base, config, wrongShape, "shape");
        assertTrue(e.contains(q0 + ".lora_A.weight") && e.contains("[4, 15]") && e.contains("expected [4, 16]"), e);

        e = loadError(base, config, bertLora(2, 18), "rank");
        assertTrue(e.contains("rank 2, but r=4"), e);

        Map<String, Tensor> extraModule = bertLora(4, 19);
        extraModule.put("base_model.model.encoder.layer.0.attention.self.key.lora_A.weight", Tensor.zeros(4, 16));
        e = loadError(base, config, extraModule, "untargeted");
        assertTrue(e.contains("encoder.layer.0.attention.self.key") && e.contains("not a Linear module adapted"), e);

        Map<String, Tensor> unknown = bertLora(4, 20);
        unknown.put("base_model.model.encoder.layer.0.attention.self.query.lora_magnitude_vector", Tensor.zeros(16));
        e = loadError(base, config, unknown, "dora-tensor");
        assertTrue(e.contains("lora_magnitude_vector") && e.contains("not support"), e);

        Map<String, Tensor> missing = bertLora(4, 21);
        missing.remove(q0 + ".lora_B.weight");
        e = loadError(base, config, missing, "missing");
        assertTrue(e.contains("missing tensor '" + q0 + ".lora_B.weight'"), e);

        e = loadError(base, bertConfig(4, 8, "[\"query\", \"q_proj\"]", ""), bertLora(4, 22), "target");
        assertTrue(e.contains("'q_proj'") && e.contains("query, key, value, dense"), e);

        e = loadError(base, bertConfig(4, 8, "[\"query\", \"value\"]", "\"layers_to_transform\": [0],"), bertLora(4, 23), "layers");
        assertTrue(e.contains("layers_to_transform") && e.contains("not support"), e);

        e = loadError(base, bertConfig(4, 8, "[\"query\", \"value\"]", "").replace("\"use_dora\": false", "\"use_dora\": true"), bertLora(4, 24), "dora");
        assertTrue(e.contains("DoRA"), e);

        e = loadError(base, bertConfig(4, 8, "[\"query\", \"value\"]", "").replace("\"LORA\"", "\"IA3\""), bertLora(4, 25), "ia3");
        assertTrue(e.contains("peft_type 'IA3'"), e);

        Files.createDirectories(dir.resolve("empty"));
        try (PretrainedModel m = LoraFixtures.load(base)) {
            e = assertThrows(IllegalArgumentException.class, () -> PeftAdapter.load(dir.resolve("empty"), m)).getMessage();
            assertTrue(e.contains("adapter_config.json"), e);
        }
    }
}
