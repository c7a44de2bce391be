package dev.tune4j.model;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.FileFormatException;
import dev.tune4j.io.MappedFiles;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Loading Hugging Face folders: weights stay mapped, and every broken input is a clear error naming what is wrong. */
class ModelLoaderTest {
    static final String TINY_BERT = """
            {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": 30, "hidden_size": 8,
             "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16,
             "max_position_embeddings": 16, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}""";

    @TempDir
    Path dir;

    /** A tiny random BERT saved the Hugging Face way (config.json + model.safetensors in {@code dtype}); returns its weights. */
    static Map<String, Tensor> writeTinyBert(Path folder, DType dtype) throws Exception {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), TINY_BERT);
        HfConfig hf = new HfConfig(Json.MAPPER.readTree(TINY_BERT), "tiny");
        ModelFamily family = Families.forConfig(hf);
        TransformerConfig c = family.config(hf);
        c.initStd = 0.5f;
        Map<String, Tensor> weights = WeightMapper.export(new Transformer(c), family.weights(c, hf));
        SafetensorsWriter w = new SafetensorsWriter(dtype);
        weights.forEach(w::add);
        w.add("embeddings.position_ids", Tensor.of(new float[16], 1, 16)); // as old exports carry it; ignorable
        w.write(folder.resolve("model.safetensors"));
        return weights;
    }

    @Test
    void folderWeightsStayMappedInTheirStoredDtype() throws Exception {
        Path folder = dir.resolve("tiny");
        Map<String, Tensor> written = writeTinyBert(folder, DType.BF16);
        try (PretrainedModel m = ModelLoader.load(folder.toString())) {
            assertEquals("bert", m.family().name());
            assertEquals(Map.of("BF16", written.size() + 1), m.dtypeCounts());
            Parameter q = m.namedParameters().get("layers.1.attn.q.weight");
            assertFalse(q.value().isHeap(), "a same-layout weight is a view of the mapped file, not a copy");
            assertEquals(DType.BF16, q.value().dtype());
            float[] expected = written.get("encoder.layer.1.attention.self.query.weight").data();
            float[] got = q.value().toHeap().data();
            for (int i = 0; i < expected.length; i++) assertEquals(DType.bf16ToF32(DType.f32ToBf16(expected[i])), got[i]);
            assertEquals(m.model().parameterCount(), m.parameterCount());
            assertTrue(m.unexpectedTensors().isEmpty(), m.unexpectedTensors().toString());
            assertTrue(MappedFiles.isMapped(folder.resolve("model.safetensors")));
            assertNull(m.tokenizer());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, m::requireTokenizer);
            assertTrue(e.getMessage().contains("--tokenizer"), e.getMessage());
        }
        assertFalse(MappedFiles.isMapped(folder.resolve("model.safetensors")), "close unmaps");
    }

    @Test
    void unknownArchitectureListsWhatIsSupported() throws Exception {
        Path folder = dir.resolve("falcon");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), "{\"architectures\": [\"FalconForCausalLM\"], \"model_type\": \"falcon\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(folder.toString()));
        assertTrue(e.getMessage().contains("FalconForCausalLM") && e.getMessage().contains("BertModel")
                && e.getMessage().contains("LlamaForCausalLM") && e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());
    }

    @Test
    void truncatedWeightsFileIsRefusedNamingTheFile() throws Exception {
        Path folder = dir.resolve("cut");
        writeTinyBert(folder, DType.F32);
        Path file = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
        FileFormatException e = assertThrows(FileFormatException.class, () -> ModelLoader.load(folder.toString()));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("past the end"), e.getMessage());
        assertFalse(MappedFiles.isMapped(file));
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        Path folder = dir.resolve("missing");
        Map<String, Tensor> weights = writeTinyBert(folder, DType.F32);
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        weights.forEach((k, v) -> { if (!k.equals("encoder.layer.1.attention.self.key.weight")) w.add(k, v); });
        w.write(folder.resolve("model.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(folder.toString()));
        assertTrue(e.getMessage().contains("'encoder.layer.1.attention.self.key.weight'") && e.getMessage().contains("model.safetensors"), e.getMessage());
        assertFalse(MappedFiles.isMapped(folder.resolve("model.safetensors")), "a failed open unmaps what it mapped");
    }

    @Test
    void weightOfAnUnloadableDtypeSurfacesTheIoErrorNamingFileAndTensor() throws Exception {
        Path folder = dir.resolve("i32");
        writeTinyBert(folder, DType.F32);
        // Rewrite one tensor's dtype in the header as I32 (same byte size, so the header stays consistent).
        Path file = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        int n = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(bytes, 8, n, StandardCharsets.UTF_8);
        String key = "\"embeddings.LayerNorm.bias\":{\"dtype\":\"F32\"";
        assertTrue(header.contains(key), header);
        byte[] patched = header.replace(key, "\"embeddings.LayerNorm.bias\":{\"dtype\":\"I32\"").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(patched, 0, bytes, 8, n);
        Files.write(file, bytes);
        FileFormatException e = assertThrows(FileFormatException.class, () -> ModelLoader.load(folder.toString()));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'embeddings.LayerNorm.bias'")
                && e.getMessage().contains("I32"), e.getMessage());
    }

    @Test
    void shardedFolderLoadsLikeOneFile() throws Exception {
        Path folder = dir.resolve("sharded");
        Map<String, Tensor> weights = writeTinyBert(folder, DType.F32);
        Files.delete(folder.resolve("model.safetensors"));
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        weights.forEach(w::add);
        assertTrue(w.writeSharded(folder, 1500).size() > 2);
        try (PretrainedModel m = ModelLoader.load(folder.toString())) {
            assertArrayEquals(weights.get("encoder.layer.0.output.dense.weight").data(),
                    m.namedParameters().get("layers.0.mlp.down.weight").value().toHeap().data());
            assertTrue(m.sourceFiles().contains(folder.resolve("model.safetensors.index.json")));
        }
    }

    @Test
    void decoderFamiliesLoadAndSaveUnderTheirOwnNames() throws Exception {
        // GPT-2 as openai-community/gpt2 stores it (no "transformer." prefix, fused and transposed
        // Conv1D weights, mask buffers); Llama with grouped-query attention and a tied head.
        String gpt2 = "{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\", \"vocab_size\": 40, \"n_embd\": 8,"
                + " \"n_layer\": 2, \"n_head\": 2, \"n_positions\": 16}";
        String llama = "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"vocab_size\": 40, \"hidden_size\": 8,"
                + " \"intermediate_size\": 12, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2,"
                + " \"tie_word_embeddings\": true}";
        for (String config : List.of(gpt2, llama)) {
            HfConfig hf = new HfConfig(Json.MAPPER.readTree(config), "test");
            ModelFamily family = Families.forConfig(hf);
            TransformerConfig c = family.config(hf);
            c.initStd = 0.5f;
            Transformer random = new Transformer(c);
            Path folder = dir.resolve(family.name());
            Files.createDirectories(folder);
            Files.writeString(folder.resolve("config.json"), config);
            SafetensorsWriter w = new SafetensorsWriter(DType.F32);
            WeightMapper.export(random, family.weights(c, hf)).forEach((k, v) -> w.add(k.replaceFirst("^transformer\\.", ""), v));
            if (family.name().equals("gpt2")) w.add("h.0.attn.bias", Tensor.of(new float[16 * 16], 1, 1, 16, 16));
            w.write(folder.resolve("model.safetensors"));

            Path saved = dir.resolve(family.name() + "-saved");
            try (PretrainedModel m = ModelLoader.load(folder.toString())) {
                assertEquals(random.parameterCount(), m.parameterCount());
                assertTrue(m.unexpectedTensors().isEmpty(), m.unexpectedTensors().toString());
                random.namedParameters().forEach((name, p) ->
                        assertArrayEquals(p.value().data(), m.namedParameters().get(name).value().toHeap().data(), family.name() + " " + name));
                m.save(saved, DType.F32, 1L << 30);
            }
            try (PretrainedModel back = ModelLoader.load(saved.toString());
                 var ckpt = dev.tune4j.io.Safetensors.open(saved)) {
                if (family.name().equals("gpt2")) {
                    assertTrue(ckpt.contains("h.1.attn.c_attn.weight") && !ckpt.contains("transformer.h.1.attn.c_attn.weight"),
                            "saved under the names it was loaded with: " + ckpt.names());
                } else {
                    assertFalse(ckpt.contains("lm_head.weight"), "a tied head is not saved twice");
                    assertTrue(back.config().tieEmbeddings);
                    assertEquals(2, back.config().kvHeads);
                }
                random.namedParameters().forEach((name, p) ->
                        assertArrayEquals(p.value().data(), back.namedParameters().get(name).value().toHeap().data(), family.name() + " " + name));
            }
        }
    }

    @Test
    void specsThatNameNothingSayWhatIsAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(dir.resolve("nope").toString()));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("builtin:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load("builtin:gpt-17"));
        assertTrue(e.getMessage().contains("gpt-17") && e.getMessage().contains("all-minilm-l6-v2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(dir.toString()));
        assertTrue(e.getMessage().contains("no config.json"), e.getMessage());
    }

    @Test
    void pickleOnlyFolderSaysSafetensorsAreNeeded() throws Exception {
        Path folder = dir.resolve("bin-only");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), TINY_BERT);
        Files.write(folder.resolve("pytorch_model.bin"), new byte[16]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(folder.toString()));
        assertTrue(e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains("safetensors"), e.getMessage());
    }

    @Test
    void configIntegersNameTheFileTheKeyAndTheValue() throws Exception {
        Path folder = dir.resolve("tiny");
        writeTinyBert(folder, DType.F32);
        Map<String, String> cases = Map.of(
                "\"hidden_size\": 8", "\"hidden_size\": \"abc\"",
                "\"num_hidden_layers\": 2", "\"num_hidden_layers\": -3",
                "\"vocab_size\": 30", "\"vocab_size\": 0",
                "\"num_attention_heads\": 2", "\"num_attention_heads\": 0",
                "\"intermediate_size\": 16", "\"intermediate_size\": 16.5");
        for (var c : cases.entrySet()) {
            Files.writeString(folder.resolve("config.json"), TINY_BERT.replace(c.getKey(), c.getValue()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.open(folder.toString(), ModelLoader.Options.DEFAULT));
            String key = c.getKey().substring(1, c.getKey().indexOf('"', 1)), value = c.getValue().substring(c.getValue().indexOf(": ") + 2);
            assertEquals(folder.resolve("config.json") + ": '" + key + "' must be a positive whole number, got " + value, e.getMessage());
        }
    }

    @Test
    void aConfigThatContradictsTheTensorsIsRefusedWhenOpened() throws Exception {
        Path folder = dir.resolve("tiny");
        writeTinyBert(folder, DType.F32);
        Files.writeString(folder.resolve("config.json"), TINY_BERT.replace("\"hidden_size\": 8", "\"hidden_size\": 16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.open(folder.toString(), ModelLoader.Options.DEFAULT));
        assertTrue(e.getMessage().contains("tensor 'embeddings.word_embeddings.weight' has shape [30, 8]")
                && e.getMessage().contains("'embed.weight' is [30, 16]"), "open (what inspect does) checks every shape: " + e.getMessage());
    }

    @Test
    void aTensorOfTheWrongRankIsRefusedWhenOpened() throws Exception {
        Path folder = dir.resolve("tiny");
        Map<String, Tensor> weights = writeTinyBert(folder, DType.F32);
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        weights.forEach((name, t) -> w.add(name, name.equals("encoder.layer.0.output.LayerNorm.bias") ? t.reshape(1, t.dim(0)) : t));
        w.write(folder.resolve("model.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.open(folder.toString(), ModelLoader.Options.DEFAULT));
        assertTrue(e.getMessage().contains("'encoder.layer.0.output.LayerNorm.bias' has shape [1, 8]"), e.getMessage());
    }

    @Test
    void nonFiniteWeightsAreRefusedOnLoadNamingTheTensor() throws Exception {
        Path folder = dir.resolve("tiny");
        Map<String, Tensor> weights = writeTinyBert(folder, DType.BF16);
        SafetensorsWriter w = new SafetensorsWriter(DType.BF16);
        weights.forEach((name, t) -> {
            if (name.equals("encoder.layer.1.attention.self.value.weight")) t.data()[5] = Float.NaN;
            w.add(name, t);
        });
        w.write(folder.resolve("model.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(folder.toString()));
        assertEquals(folder.resolve("model.safetensors") + ": tensor 'encoder.layer.1.attention.self.value.weight' holds NaN at element 5 of 64;"
                + " a checkpoint's weights must be finite (corrupt or diverged?)", e.getMessage());
    }
}
