package dev.tune4j.io.gguf;

import dev.tune4j.kernel.RopeTable;
import dev.tune4j.model.LoraFixtures;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.llama.LlamaGguf;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A Llama-family model exported to GGUF and read back by our own reader into our own forward
 * (GgufBack: names mapped back, the rotary permutation undone) gives the Hugging Face folder's
 * logits: to 1e-5 in F32, within Q8_0's rounding in Q8_0.
 */
public class GgufExportTest {
    /** Above TinyBpe.SIZE, so the exported vocabulary has [PAD] entries like real padded vocabularies. */
    static final int VOCAB = 288;

    @TempDir
    Path dir;

    /** A random tiny model of {@code family} (RandomCheckpoints) with the TinyBpe tokenizer. */
    public static Path tinyModel(Path dir, String family, TinyBpe.Pre pre, long seed) throws Exception {
        Path folder = LoraFixtures.folder(dir, family, Map.of("vocab_size", VOCAB, "bos_token_id", 257, "eos_token_id", 258), seed);
        TinyBpe.write(folder, pre);
        return folder;
    }

    static Path export(Path model, Path out, GgmlType dtype) throws Exception {
        try (PretrainedModel m = ModelLoader.load(model.toString())) {
            LlamaGguf.export(m, out, new LlamaGguf.Options(dtype, "tiny", null));
        }
        return out;
    }

    public static final int[] PROMPT = {256 + 2, 7, 99, 260, 261, 262, 40, 41, 42, 5, 277, 280};

    static float[] hfLogits(Path model, int[] ids) throws Exception {
        try (PretrainedModel m = ModelLoader.load(model.toString())) {
            return m.model().logits(TokenBatch.of(ids, 1, ids.length)).data().clone();
        }
    }

    static float[] ggufLogits(Path gguf, int[] ids) throws Exception {
        try (GgufFile f = GgufFile.open(gguf)) {
            Transformer t = GgufBack.load(f);
            return t.logits(TokenBatch.of(ids, 1, ids.length)).data().clone();
        }
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        return max;
    }

    private void roundTripsInF32(String family) throws Exception {
        Path model = tinyModel(dir.resolve(family), family, TinyBpe.Pre.SMOLLM, 11);
        Path gguf = export(model, dir.resolve(family + ".gguf"), GgmlType.F32);
        double err = maxAbsDiff(hfLogits(model, PROMPT), ggufLogits(gguf, PROMPT));
        System.out.printf("GGUF %s f32: max |logit difference| vs the Hugging Face folder %.2e%n", family, err);
        assertTrue(err <= 1e-5, family + " f32 logits differ by " + err);
    }

    @Test
    void aLlamaExportedInF32GivesTheHuggingFaceLogitsThroughOurReader() throws Exception {
        roundTripsInF32("llama");
    }

    @Test
    void aQwen2ExportedInF32GivesTheHuggingFaceLogitsThroughOurReader() throws Exception {
        roundTripsInF32("qwen2");
    }

    @Test
    void q8_0WeightsStayWithinTheirRoundingAndTheLogitsCloseToTheOriginal() throws Exception {
        for (String family : List.of("llama", "qwen2")) {
            Path model = tinyModel(dir.resolve(family), family, TinyBpe.Pre.QWEN2, 12);
            Path gguf = export(model, dir.resolve(family + "-q8.gguf"), GgmlType.Q8_0);
            try (PretrainedModel m = ModelLoader.load(model.toString()); GgufFile f = GgufFile.open(gguf)) {
                assertEquals(7, f.require("general.file_type").asLong(), "MOSTLY_Q8_0");
                Tensor original = m.exportWeights().get("model.layers.0.mlp.up_proj.weight");
                assertEquals(GgmlType.Q8_0, f.tensors().get("blk.0.ffn_up.weight").type());
                assertWithinQ8_0Rounding(original.toHeap().data(), f.tensor("blk.0.ffn_up.weight").data());
                // ffn_down's rows (intermediate 90 / 88 values) are no whole number of blocks of 32: F16, as llama.cpp falls back.
                assertEquals(GgmlType.F16, f.tensors().get("blk.0.ffn_down.weight").type());
                assertEquals(GgmlType.F32, f.tensors().get("blk.0.attn_norm.weight").type());
            }
            float[] hf = hfLogits(model, PROMPT);
            double err = maxAbsDiff(hf, ggufLogits(gguf, PROMPT)), scale = 0;
            for (float v : hf) scale = Math.max(scale, Math.abs(v));
            System.out.printf("GGUF %s q8_0: max |logit difference| vs the Hugging Face folder %.2e (logits up to %.2f)%n", family, err, scale);
            assertTrue(err > 0 && err < 0.05 * scale, family + " q8_0 logits differ by " + err + " (largest logit " + scale + ")");
        }
    }

    /** Each value within half a step of its block's scale d = max|x|/127, plus f16's rounding of d. */
    static void assertWithinQ8_0Rounding(float[] x, float[] back) {
        assertEquals(x.length, back.length);
        for (int b = 0; b < x.length; b += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]));
            double d = amax / 127.0;
            for (int j = 0; j < 32; j++) {
                double bound = d / 2 + Math.abs(x[b + j]) * Math.pow(2, -11) + 1e-12;
                assertTrue(Math.abs(x[b + j] - back[b + j]) <= bound, "element " + (b + j) + ": " + x[b + j] + " came back as " + back[b + j]);
            }
        }
    }

    @Test
    void llamaMetadataTiedHeadAndVocabularyAreAsLlamaCppReadsThem() throws Exception {
        Path model = tinyModel(dir.resolve("llama"), "llama", TinyBpe.Pre.SMOLLM, 3);
        Path gguf = export(model, dir.resolve("llama.gguf"), GgmlType.F16);
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(3, f.version());
            assertEquals("llama", f.require("general.architecture").asString());
            assertEquals("tiny", f.require("general.name").asString());
            assertEquals(1, f.require("general.file_type").asLong(), "MOSTLY_F16");
            Map<String, Long> expected = Map.of("llama.block_count", 2L, "llama.context_length", 128L, "llama.embedding_length", 64L,
                    "llama.feed_forward_length", 90L, "llama.attention.head_count", 4L, "llama.attention.head_count_kv", 2L,
                    "llama.rope.dimension_count", 16L, "llama.vocab_size", (long) VOCAB);
            expected.forEach((k, v) -> {
                assertEquals(GgufType.UINT32, f.require(k).type(), k);
                assertEquals(v, f.require(k).asLong(), k);
            });
            assertEquals(1e-5f, (float) f.require("llama.attention.layer_norm_rms_epsilon").asDouble());
            assertEquals(10000f, (float) f.require("llama.rope.freq_base").asDouble());
            assertFalse(f.tensors().containsKey("output.weight"), "a tied head: llama.cpp uses token_embd");
            assertFalse(f.tensors().containsKey("rope_freqs.weight"));
            assertEquals(2 + 2 * 9, f.tensors().size(), "token_embd, output_norm, and 9 tensors per block");
            assertArrayEquals(new long[] {64, VOCAB}, f.tensors().get("token_embd.weight").dims(), "ggml order: row length first");
            assertEquals(GgmlType.F16, f.tensors().get("blk.1.attn_q.weight").type());

            assertEquals("gpt2", f.require("tokenizer.ggml.model").asString());
            assertEquals("smollm", f.require("tokenizer.ggml.pre").asString());
            List<?> tokens = f.require("tokenizer.ggml.tokens").asArray().items(), types = f.require("tokenizer.ggml.token_type").asArray().items();
            assertEquals(VOCAB, tokens.size());
            assertEquals(GgufType.INT32, f.require("tokenizer.ggml.token_type").asArray().elementType());
            assertEquals("Ġ", tokens.get(32), "byte 0x20 in GPT-2's byte alphabet");
            assertEquals("Ġthe", tokens.get(258));
            assertEquals("<|im_start|>", tokens.get(TinyBpe.SIZE - 2));
            assertEquals("[PAD" + (VOCAB - 1) + "]", tokens.get(VOCAB - 1));
            assertEquals(1L, types.get(258));
            assertEquals(3L, types.get(TinyBpe.SIZE - 2), "control");
            assertEquals(5L, types.get(VOCAB - 1), "unused");
            assertEquals(TinyBpe.MERGES.size(), f.require("tokenizer.ggml.merges").asArray().size());
            assertEquals("Ġt he", f.require("tokenizer.ggml.merges").asArray().items().get(2));
            assertEquals(TinyBpe.SIZE - 2, f.require("tokenizer.ggml.bos_token_id").asLong(), "tokenizer_config's bos <|im_start|> wins over config.json's");
            assertEquals(TinyBpe.SIZE - 1, f.require("tokenizer.ggml.eos_token_id").asLong());
            assertEquals(TinyBpe.SIZE - 3, f.require("tokenizer.ggml.unknown_token_id").asLong());
            assertEquals(TinyBpe.SIZE - 1, f.require("tokenizer.ggml.padding_token_id").asLong());
            assertEquals(false, f.require("tokenizer.ggml.add_bos_token").value());
            assertEquals(TinyBpe.CHAT_TEMPLATE, f.require("tokenizer.chat_template").asString());
        }
    }

    @Test
    void qwen2KeepsTheRotaryLayoutAndWritesItsBiases() throws Exception {
        Path model = tinyModel(dir.resolve("qwen2"), "qwen2", TinyBpe.Pre.QWEN2, 4);
        Path gguf = export(model, dir.resolve("qwen2.gguf"), GgmlType.F32);
        try (PretrainedModel m = ModelLoader.load(model.toString()); GgufFile f = GgufFile.open(gguf)) {
            assertEquals("qwen2", f.require("general.architecture").asString());
            assertEquals("qwen2", f.require("tokenizer.ggml.pre").asString());
            assertFalse(f.metadata().containsKey("qwen2.rope.dimension_count"), "convert_hf_to_gguf.py writes none for qwen2");
            Map<String, Tensor> hf = m.exportWeights();
            assertArrayEquals(hf.get("model.layers.1.self_attn.q_proj.weight").toHeap().data(), f.tensor("blk.1.attn_q.weight").data(), "not permuted");
            assertArrayEquals(hf.get("model.layers.1.self_attn.k_proj.bias").toHeap().data(), f.tensor("blk.1.attn_k.bias").data());
        }
    }

    @Test
    void llamaRowsArePermutedFromHuggingFaceHalvesToInterleavedPairs() {
        // one head of 4 rotary dims, 2 columns: HF rows [x0, x1, y0, y1] -> llama.cpp [x0, y0, x1, y1]
        Tensor hf = Tensor.of(new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f}, 4, 2);
        assertArrayEquals(new float[] {0, 0.5f, 2, 2.5f, 1, 1.5f, 3, 3.5f}, LlamaGguf.permuteRotary(hf, 1).data());
        Tensor twoHeadBias = Tensor.of(new float[] {0, 1, 2, 3, 10, 11, 12, 13}, 8);
        assertArrayEquals(new float[] {0, 2, 1, 3, 10, 12, 11, 13}, LlamaGguf.permuteRotary(twoHeadBias, 2).data());
        assertArrayEquals(twoHeadBias.data(), GgufBack.unpermute(LlamaGguf.permuteRotary(twoHeadBias, 2), 4).data());
    }

    @Test
    void llama3RopeScalingBecomesRopeFreqsAndAnUntiedHeadAnOutputTensor() throws Exception {
        Path model = tinyModel(dir.resolve("llama3"), "llama3", TinyBpe.Pre.LLAMA3, 5);
        Path gguf = export(model, dir.resolve("llama3.gguf"), GgmlType.F32);
        try (PretrainedModel m = ModelLoader.load(model.toString()); GgufFile f = GgufFile.open(gguf)) {
            assertEquals("llama-bpe", f.require("tokenizer.ggml.pre").asString());
            assertTrue(f.tensors().containsKey("output.weight"));
            float[] factors = f.tensor("rope_freqs.weight").data();
            assertEquals(8, factors.length, "head_dim / 2");
            double[] plain = RopeTable.inverseFrequencies(16, 10000, RopeTable.NO_SCALING);
            double[] scaled = RopeTable.inverseFrequencies(16, 10000, m.config().ropeScalingKind());
            boolean kept = false, divided = false, blended = false;
            for (int i = 0; i < factors.length; i++) {
                assertEquals(plain[i] / factors[i], scaled[i], 1e-6 * plain[i], "llama.cpp divides frequency " + i + " by its factor");
                kept |= factors[i] == 1f;
                divided |= factors[i] == 8f;
                blended |= factors[i] > 1f && factors[i] < 8f;
            }
            assertTrue(kept && divided && blended, "each regime of Llama 3 scaling appears: " + java.util.Arrays.toString(factors));
        }
    }
}
