package dev.tune4j.model.bert;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.onnx.OnnxDataType;
import dev.tune4j.io.onnx.OnnxModel;
import dev.tune4j.io.onnx.OnnxReader;
import dev.tune4j.io.onnx.OnnxTensor;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Synthetic BERT exports of other depths, widths, head counts and epsilons (written by
 * {@link SyntheticBertOnnx} in the torch.onnx layout) import with the right hyper-parameters,
 * every weight lands in its place, and the engine's forward matches ONNX Runtime on them.
 */
class BertOnnxImporterTest {
    /** Decomposed LayerNorm, Concat-built head split, BertModel names. */
    static final SyntheticBertOnnx.Spec DECOMPOSED = new SyntheticBertOnnx.Spec(
            50, 12, 3, 3, 20, 24, 3, 1e-7f, "", false, false, false, 1);
    /** LayerNormalization nodes, a constant head-split shape, "bert." names, nodes without names. */
    static final SyntheticBertOnnx.Spec FUSED = new SyntheticBertOnnx.Spec(
            40, 16, 2, 2, 24, 16, 2, 1e-5f, "bert.", true, true, true, 2);

    @Test
    void decomposedExportGivesItsHyperParametersAndWeights() throws Exception {
        SyntheticBertOnnx syn = SyntheticBertOnnx.write(DECOMPOSED);
        BertOnnxImporter.Imported imp = BertOnnxImporter.importModel(OnnxReader.read(syn.bytes, "syn.onnx"), "syn.onnx", null);
        HfConfig c = imp.config();
        assertEquals("BertModel", c.architecture());
        assertEquals(50, c.requireInt("vocab_size"));
        assertEquals(12, c.requireInt("hidden_size"));
        assertEquals(3, c.requireInt("num_hidden_layers"));
        assertEquals(3, c.requireInt("num_attention_heads"));
        assertEquals(20, c.requireInt("intermediate_size"));
        assertEquals(24, c.requireInt("max_position_embeddings"));
        assertEquals(3, c.requireInt("type_vocab_size"));
        assertEquals(1e-7f, (float) c.getDouble("layer_norm_eps", 0));
        assertEquals("gelu", c.getString("hidden_act", null));
        assertWeightsAsWritten(syn, imp);
    }

    @Test
    void fusedLayerNormConstantReshapeAndPrefixedNamesImportToo() throws Exception {
        SyntheticBertOnnx syn = SyntheticBertOnnx.write(FUSED);
        OnnxModel onnx = OnnxReader.read(syn.bytes, "fused.onnx");
        assertTrue(onnx.nodes().stream().allMatch(n -> n.name().isEmpty() || n.opType().equals("Identity")));
        BertOnnxImporter.Imported imp = BertOnnxImporter.importModel(onnx, "fused.onnx", null);
        HfConfig c = imp.config();
        assertEquals(16, c.requireInt("hidden_size"));
        assertEquals(2, c.requireInt("num_hidden_layers"));
        assertEquals(2, c.requireInt("num_attention_heads"));
        assertEquals(24, c.requireInt("intermediate_size"));
        assertEquals(1e-5f, (float) c.getDouble("layer_norm_eps", 0));
        assertTrue(imp.weights().names().contains("bert.encoder.layer.1.attention.self.query.weight"));
        assertWeightsAsWritten(syn, imp);
    }

    /** Every weight the writer made is in the import under its Hugging Face name, transposed back where it was stored transposed. */
    private static void assertWeightsAsWritten(SyntheticBertOnnx syn, BertOnnxImporter.Imported imp) {
        for (var e : syn.hfWeights.entrySet()) {
            Tensor t = imp.weights().get(e.getKey());
            assertNotNull(t, "missing " + e.getKey() + " in " + imp.weights().names());
            assertArrayEquals(syn.hfShapes.get(e.getKey()), t.shape(), e.getKey());
            assertArrayEquals(e.getValue(), t.toHeap().data(), e.getKey());
            assertEquals("F32", imp.storedDtypes().get(e.getKey()));
        }
        assertEquals(syn.hfWeights.keySet(), imp.weights().names(), "no extra tensors (shape constants and position ids are not weights)");
    }

    @Test
    void loadedModelHasTheWeightsInTheRightParametersAndMatchesOnnxRuntime(@TempDir Path dir) throws Exception {
        for (SyntheticBertOnnx.Spec spec : List.of(DECOMPOSED, FUSED)) {
            SyntheticBertOnnx syn = SyntheticBertOnnx.write(spec);
            // The second model sits as Optimum-style repos keep it: repo/onnx/model.onnx with
            // tokenizer.json and config.json one folder up, found there.
            boolean repo = spec == FUSED;
            Path file = repo ? dir.resolve("repo/onnx/model.onnx") : dir.resolve("model-" + spec.seed() + ".onnx");
            Files.createDirectories(file.getParent());
            Files.write(file, syn.bytes);
            if (repo) {
                try (var in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
                    Files.copy(in, dir.resolve("repo/tokenizer.json"));
                }
                Files.writeString(dir.resolve("repo/config.json"), "{\"architectures\": [\"BertModel\"], \"pad_token_id\": 0}");
            }
            try (PretrainedModel m = ModelLoader.load("onnx:" + file, ModelLoader.Options.DEFAULT)) {
                TransformerConfig c = m.config();
                assertEquals(spec.heads(), c.heads);
                assertEquals(spec.layers(), c.layers);
                assertEquals(spec.eps(), c.normEps);
                assertEquals(repo, m.tokenizer() != null);
                assertEquals(repo, m.hfConfig().has("pad_token_id"));
                assertEquals(repo, m.sourceFiles().contains(dir.resolve("repo/tokenizer.json")));
                String p = spec.prefix();
                Map<String, Parameter> params = m.namedParameters();
                assertParam(syn, p + "embeddings.word_embeddings.weight", params.get("embed.weight"));
                assertParam(syn, p + "embeddings.token_type_embeddings.weight", params.get("type_embed.weight"));
                assertParam(syn, p + "embeddings.LayerNorm.bias", params.get("embed_norm.bias"));
                int last = spec.layers() - 1;
                assertParam(syn, p + "encoder.layer." + last + ".attention.self.key.weight", params.get("layers." + last + ".attn.k.weight"));
                assertParam(syn, p + "encoder.layer." + last + ".attention.output.dense.weight", params.get("layers." + last + ".attn.o.weight"));
                assertParam(syn, p + "encoder.layer.0.intermediate.dense.weight", params.get("layers.0.mlp.up.weight"));
                assertParam(syn, p + "encoder.layer.0.output.dense.bias", params.get("layers.0.mlp.down.bias"));
                assertParam(syn, p + "encoder.layer.0.output.LayerNorm.weight", params.get("layers.0.norm2.weight"));
                assertParam(syn, p + "encoder.layer.0.attention.output.LayerNorm.weight", params.get("layers.0.norm1.weight"));
                assertEquals(m.parameterCount(), syn.hfWeights.values().stream().mapToLong(w -> w.length).sum());

                // A padded batch with token types: the engine against ONNX Runtime on the same file.
                int b = 3, t = 7;
                SplittableRandom rng = new SplittableRandom(spec.seed());
                int[] ids = new int[b * t], types = new int[b * t];
                int[][] mask = new int[b][t];
                int[] lengths = {7, 4, 1};
                for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) {
                    ids[i * t + j] = j < lengths[i] ? rng.nextInt(spec.vocab()) : 0;
                    types[i * t + j] = j < lengths[i] ? rng.nextInt(spec.typeVocab()) : 0;
                    mask[i][j] = j < lengths[i] ? 1 : 0;
                }
                float[] ours = m.model().hidden(new TokenBatch(ids, b, t, mask, types, null)).value().data();
                float[][][] ref = ort(syn.bytes, ids, mask, types, b, t);
                double worst = 0;
                for (int i = 0; i < b; i++) for (int j = 0; j < lengths[i]; j++) for (int k = 0; k < spec.hidden(); k++) {
                    worst = Math.max(worst, Math.abs(ref[i][j][k] - ours[(i * t + j) * spec.hidden() + k]));
                }
                System.out.printf("PARITY synthetic-bert hidden=%d heads=%d layers=%d eps=%.0e maxAbsDiff=%.3e%n",
                        spec.hidden(), spec.heads(), spec.layers(), spec.eps(), worst);
                assertTrue(worst < 1e-4, "max abs diff " + worst);
            }
        }
    }

    private static void assertParam(SyntheticBertOnnx syn, String hfName, Parameter p) {
        assertNotNull(p, hfName);
        assertArrayEquals(syn.hfShapes.get(hfName), p.value().shape(), hfName);
        assertArrayEquals(syn.hfWeights.get(hfName), p.value().toHeap().data(), hfName);
    }

    @Test
    void givenConfigWinsOverTheGraph() throws Exception {
        SyntheticBertOnnx syn = SyntheticBertOnnx.write(DECOMPOSED);
        var override = Json.MAPPER.readTree("{\"num_attention_heads\": 4, \"layer_norm_eps\": 0.001, \"hidden_dropout_prob\": 0.1, \"pad_token_id\": 0}");
        HfConfig c = BertOnnxImporter.importModel(OnnxReader.read(syn.bytes, "syn.onnx"), "syn.onnx", override).config();
        assertEquals(4, c.requireInt("num_attention_heads"));
        assertEquals(0.001, c.getDouble("layer_norm_eps", 0));
        assertEquals(0.1, c.getDouble("hidden_dropout_prob", 0));
        assertEquals(12, c.requireInt("hidden_size"), "what the config leaves out still comes from the graph");
    }

    @Test
    void graphWithoutHeadOrEpsilonFactsAsksForAConfig() {
        OnnxModel bare = new OnnxModel(8, "test", "", Map.of("", 17L), Map.of(), "g",
                Map.of("embeddings.word_embeddings.weight", floats("embeddings.word_embeddings.weight", 10, 8),
                        "encoder.layer.0.intermediate.dense.bias", floats("encoder.layer.0.intermediate.dense.bias", 16)),
                List.of(), List.of(), List.of(), List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertOnnxImporter.importModel(bare, "bare.onnx", null));
        assertTrue(e.getMessage().contains("bare.onnx") && e.getMessage().contains("num_attention_heads")
                && e.getMessage().contains("layer_norm_eps") && e.getMessage().contains("--config"), e.getMessage());
    }

    @Test
    void nonBertGraphIsRefusedByName() {
        OnnxModel other = new OnnxModel(8, "test", "", Map.of("", 17L), Map.of(), "g",
                Map.of("transformer.wte.weight", floats("transformer.wte.weight", 10, 8)), List.of(), List.of(), List.of(), List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertOnnxImporter.importModel(other, "gpt.onnx", null));
        assertTrue(e.getMessage().contains("gpt.onnx") && e.getMessage().contains("not a BERT encoder"), e.getMessage());
    }

    private static OnnxTensor floats(String name, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return new OnnxTensor(name, OnnxDataType.FLOAT, dims, new float[(int) n], null);
    }

    private static float[][][] ort(byte[] model, int[] ids, int[][] mask, int[] types, int b, int t) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[][] i = new long[b][t], m = new long[b][t], ty = new long[b][t];
        for (int x = 0; x < b; x++) for (int y = 0; y < t; y++) {
            i[x][y] = ids[x * t + y];
            m[x][y] = mask[x][y];
            ty[x][y] = types[x * t + y];
        }
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model, opts);
                 ai.onnxruntime.OnnxTensor a = ai.onnxruntime.OnnxTensor.createTensor(env, i);
                 ai.onnxruntime.OnnxTensor am = ai.onnxruntime.OnnxTensor.createTensor(env, m);
                 ai.onnxruntime.OnnxTensor at = ai.onnxruntime.OnnxTensor.createTensor(env, ty);
                 OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", am, "token_type_ids", at))) {
                return (float[][][]) r.get(0).getValue();
            }
        }
    }
}
