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
    @ValueSource(strings = {"llama", "llama3", "qwen2", "mistral", "gpt2"})
    void decoderLogitsLossAndAllWeightGradientsMatchTheOracle(String family, @TempDir Path dir) throws IOException {
        // Mistral with an explicit head_dim that is not hidden_size / num_attention_heads (64 / 4).
        Map<String, Object> overrides = family.equals("mistral") ? Map.of("head_dim", 24) : Map.of();
        Checkpoint ckpt = RandomCheckpoints.build(family, overrides, 200 + family.length());
        Parity.writeHfFolder(ckpt, dir);
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        Parity.Engine e = Parity.fromFolder(dir);

        Random rng = new Random(family.hashCode());
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
        Parity.Worst grads = Parity.compareGrads(ref.grads(), Parity.hfGrads(e.model(), e.rules()), "model " + family);

        System.out.printf("PARITY model=%s logits=%.3e maxGrad=%.3e loss=%.3e (worst tensor %s)%n",
                family, logitsRel, grads.rel, lossRel, grads.name);
        assertTrue(logitsRel <= OUT_TOL, family + ": logits relative error " + logitsRel);
        assertTrue(lossRel <= OUT_TOL, family + ": loss " + loss + " vs oracle " + ref.loss());
        grads.assertAtMost(GRAD_TOL, family + " weight gradients");
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
}
