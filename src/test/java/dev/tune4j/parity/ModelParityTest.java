package dev.tune4j.parity;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.MeanPoolOp;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.oracle.BertOracle;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.Gpt2Oracle;
import dev.tune4j.oracle.LlamaOracle;
import dev.tune4j.oracle.OracleResult;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static dev.tune4j.parity.Parity.GRAD_TOL;
import static dev.tune4j.parity.Parity.OUT_TOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole models against the libtorch oracle. Each random checkpoint is written as a real Hugging
 * Face folder (config.json + model.safetensors under the real tensor names) and loaded back through
 * the engine's path (family detection, config translation, weight rules); then the logits, the
 * mean next-token cross-entropy (with ignored targets) and the gradient of every weight under
 * that loss must match. The variants cover GQA with a tied head (llama), llama3 rope scaling with
 * one kv head and an untied head (llama3; 12 positions are enough for the scaling to move the
 * logits by 18%), q/k/v biases (qwen2), an explicit head_dim (mistral) and GPT-2's fused,
 * transposed Conv1D weights.
 */
class ModelParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3", "qwen2", "mistral", "gpt2", "gpt2-untied", "llama-biases-linear-rope"})
    void decoderLogitsLossAndAllWeightGradientsMatchTheOracle(String variant, @TempDir Path dir) throws IOException {
        String family = variant.split("-")[0];
        Map<String, Object> overrides = switch (variant) {
            // attention_bias (q/k/v and o_proj), mlp_bias, legacy "type" key of linear rope scaling
            case "llama-biases-linear-rope" -> Map.of("attention_bias", true, "mlp_bias", true,
                    "rope_scaling", Map.of("type", "linear", "factor", 2.0), "num_hidden_layers", 1);
            // an explicit head_dim that is not hidden_size / num_attention_heads (64 / 4)
            case "mistral" -> Map.of("head_dim", 24);
            // a GPT-2 saved with its own lm_head.weight
            case "gpt2-untied" -> Map.of("tie_word_embeddings", false);
            default -> Map.of();
        };
        Checkpoint ckpt = RandomCheckpoints.build(family, overrides, 200 + variant.length());
        Parity.writeHfFolder(ckpt, dir);
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        Parity.Engine e = Parity.fromFolder(dir);

        Random rng = new Random(variant.hashCode());
        int b = 2, t = 12, vocab = Parity.cfgInt(ckpt, "vocab_size");
        int[][] ids = Parity.tokens(rng, b, t, vocab);
        int[][] targets = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) targets[i][j] = j + 1 < t ? ids[i][j + 1] : LmBatch.IGNORE;
        }
        targets[0][2] = LmBatch.IGNORE; // e.g. a masked prompt token
        targets[1][0] = LmBatch.IGNORE;
        targets[1][5] = LmBatch.IGNORE;

        OracleResult ref = family.equals("gpt2") ? Gpt2Oracle.loss(ckpt, ids, targets) : LlamaOracle.loss(ckpt, ids, targets);

        TokenBatch tokens = TokenBatch.of(ids, null);
        float[] logits = e.model().logits(tokens).data(); // inference: no tape
        double logitsRel = Parity.rel(logits, ref.output());

        CausalLmObjective objective = new CausalLmObjective(e.model());
        double loss;
        try (Tape tape = Tape.record()) {
            Objective.Loss l = objective.loss(new LmBatch(tokens, Parity.flat(targets)));
            loss = l.scalar();
            assertEquals(b * t - 5, l.count(), "scored tokens");
            tape.backward(l.value());
        }
        double lossRel = Math.abs(loss - ref.loss()) / Math.abs(ref.loss());
        Parity.Worst grads = Parity.compareGrads(ref.grads(), Parity.hfGrads(e.model(), e.rules()), "model " + variant);

        System.out.printf("PARITY model=%s logits=%.3e maxGrad=%.3e loss=%.3e (worst tensor %s)%n",
                variant, logitsRel, grads.rel, lossRel, grads.name);
        assertTrue(logitsRel <= OUT_TOL, variant + ": logits relative error " + logitsRel);
        assertTrue(lossRel <= OUT_TOL, variant + ": loss " + loss + " vs oracle " + ref.loss());
        grads.assertAtMost(GRAD_TOL, variant + " weight gradients");
    }

    @Test
    void bertEncoderWithPaddingAndMeanPoolingMatchesTheOracle(@TempDir Path dir) throws IOException {
        Checkpoint ckpt = RandomCheckpoints.bert(210);
        Parity.writeHfFolder(ckpt, dir);
        Parity.Engine e = Parity.fromFolder(dir);

        Random rng = new Random(211);
        int b = 3, t = 9, h = e.model().config.hidden;
        int[][] ids = Parity.tokens(rng, b, t, Parity.cfgInt(ckpt, "vocab_size"));
        int[][] mask = new int[b][t];
        int[] lengths = {9, 6, 2};
        int[][] types = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                mask[i][j] = j < lengths[i] ? 1 : 0;
                if (mask[i][j] == 0) ids[i][j] = 0; // pad_token_id
                types[i][j] = j >= lengths[i] / 2 && mask[i][j] == 1 ? 1 : 0; // a second segment
            }
        }
        float[] upstream = Parity.gaussian(rng, b * h, 1.0);

        OracleResult ref = BertOracle.encode(ckpt, ids, mask, types, BertOracle.Pooling.MEAN, false, upstream);

        TokenBatch tokens = new TokenBatch(Parity.flat(ids), b, t, mask, Parity.flat(types), null);
        float[] pooled;
        try (Tape tape = Tape.record()) {
            Var y = MeanPoolOp.apply(e.model().hidden(tokens), mask);
            pooled = y.data().clone();
            System.arraycopy(upstream, 0, y.gradForAccumulation(), 0, upstream.length);
            tape.backwardFromSeededGrads();
        }
        double outRel = Parity.rel(pooled, ref.output());
        Parity.Worst grads = Parity.compareGrads(ref.grads(), Parity.hfGrads(e.model(), e.rules()), "model bert");

        System.out.printf("PARITY model=bert pooled=%.3e maxGrad=%.3e (worst tensor %s)%n", outRel, grads.rel, grads.name);
        assertTrue(outRel <= OUT_TOL, "bert: pooled output relative error " + outRel);
        grads.assertAtMost(GRAD_TOL, "bert weight gradients");
    }
    /**
     * Settings of real checkpoints that change the model's function but that the engine does not
     * implement must be refused with a message naming them, never silently ignored. The oracle
     * shows each one matters.
     */
    @Test
    void gpt2AttentionScalingSwitchesAreRefusedRatherThanIgnored() {
        int[][] ids = Parity.tokens(new Random(220), 1, 8, 101);
        float[] plain = Gpt2Oracle.logits(RandomCheckpoints.gpt2(220), ids, null).output();
        for (var setting : Map.<String, Object>of("scale_attn_by_inverse_layer_idx", true, "scale_attn_weights", false).entrySet()) {
            Checkpoint ckpt = RandomCheckpoints.build("gpt2", Map.of(setting.getKey(), setting.getValue()), 220);
            assertTrue(Parity.rel(Gpt2Oracle.logits(ckpt, ids, null).output(), plain) > 1e-3, setting + " must matter");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parity.fromMemory(ckpt));
            assertTrue(e.getMessage().contains(setting.getKey()), e.getMessage());
        }
    }

    @Test
    void bertRelativePositionEmbeddingsAreRefused() {
        Checkpoint ckpt = RandomCheckpoints.build("bert", Map.of("position_embedding_type", "relative_key"), 221);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parity.fromMemory(ckpt));
        assertTrue(e.getMessage().contains("position_embedding_type"), e.getMessage());
    }

    @Test
    void slidingWindowModelsMatchUpToTheWindowAndRefuseLongerSequences() {
        Checkpoint ckpt = RandomCheckpoints.build("mistral", Map.of("sliding_window", 6), 222);
        Parity.Engine e = Parity.fromMemory(ckpt);
        Random rng = new Random(222);
        int[][] shortIds = Parity.tokens(rng, 2, 6, 99), longIds = Parity.tokens(rng, 1, 12, 99);
        double rel = Parity.rel(e.model().logits(TokenBatch.of(shortIds, null)).data(), LlamaOracle.logits(ckpt, shortIds, null).output());
        System.out.printf("PARITY model=mistral-window6 logits=%.3e (6 tokens)%n", rel);
        assertTrue(rel <= OUT_TOL, "within the window: " + rel);
        float[] windowed = LlamaOracle.logits(ckpt, longIds, null).output();
        float[] full = LlamaOracle.logits(ckpt.withConfig("sliding_window", null), longIds, null).output();
        assertTrue(Parity.rel(full, windowed) > 1e-3, "the window must matter beyond 6 tokens");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.model().logits(TokenBatch.of(longIds, null)));
        assertTrue(ex.getMessage().contains("sliding"), ex.getMessage());
    }
}
