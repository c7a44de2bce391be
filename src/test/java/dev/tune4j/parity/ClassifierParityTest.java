package dev.tune4j.parity;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.CrossEntropyOp;
import dev.tune4j.model.DecoderClassifier;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.WeightMapper;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.Gpt2Oracle;
import dev.tune4j.oracle.LlamaOracle;
import dev.tune4j.oracle.LossOracle;
import dev.tune4j.oracle.OracleResult;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.train.ClassificationBatch;
import dev.tune4j.train.ClassificationObjective;
import dev.tune4j.train.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static dev.tune4j.parity.Parity.GRAD_TOL;
import static dev.tune4j.parity.Parity.OUT_TOL;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoder sequence classifiers (Llama, Qwen2, Mistral, GPT-2 *ForSequenceClassification) against
 * the libtorch oracle: random classifier checkpoints written as Hugging Face folders and loaded
 * through ModelLoader; right-padded batches; the logits, the class-weighted mean cross-entropy and
 * the gradient of every weight under it must match. And the engine's weighted cross-entropy against
 * libtorch's own cross_entropy(weight=...).
 */
class ClassifierParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3", "qwen2", "mistral", "gpt2"})
    void decoderClassifierLogitsWeightedLossAndAllGradientsMatchTheOracle(String family, @TempDir Path dir) throws Exception {
        Checkpoint ckpt = RandomCheckpoints.classifier(family, 3, Map.of(), 300 + family.length());
        Parity.writeHfFolder(ckpt, dir);
        Random rng = new Random(family.hashCode());
        int b = 3, t = 10;
        int[][] ids = Parity.tokens(rng, b, t, Parity.cfgInt(ckpt, "vocab_size"));
        int[] lengths = {10, 6, 2};
        int[][] mask = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                mask[i][j] = j < lengths[i] ? 1 : 0;
                if (j >= lengths[i]) ids[i][j] = 0; // pad_token_id
            }
        }
        int[] labels = {2, 0, 1};
        float[] weights = {0.5f, 2f, 1.25f};
        OracleResult ref = family.equals("gpt2") ? Gpt2Oracle.classify(ckpt, ids, lengths, labels, weights)
                : LlamaOracle.classify(ckpt, ids, lengths, labels, weights);

        try (PretrainedModel m = ModelLoader.load(dir.toString())) {
            DecoderClassifier model = assertInstanceOf(DecoderClassifier.class, m.classifier());
            WeightMapper.materializeTrainable(model);
            TokenBatch tokens = TokenBatch.of(ids, mask);
            double logitsRel = Parity.rel(model.logits(tokens).data(), ref.output()); // inference: no tape

            ClassificationObjective objective = new ClassificationObjective(model, weights);
            double loss;
            try (Tape tape = Tape.record()) {
                Objective.Loss l = objective.loss(new ClassificationBatch(tokens, labels));
                loss = l.scalar();
                tape.backward(l.value());
            }
            double lossRel = Math.abs(loss - ref.loss()) / Math.abs(ref.loss());
            Parity.Worst grads = Parity.compareGrads(ref.grads(), Parity.hfGrads(model, m.rules()), "classifier " + family);
            System.out.printf("PARITY classifier=%s logits=%.3e loss=%.3e maxGrad=%.3e (worst tensor %s)%n",
                    family, logitsRel, lossRel, grads.rel, grads.name);
            assertTrue(logitsRel <= OUT_TOL, family + ": logits relative error " + logitsRel);
            assertTrue(lossRel <= OUT_TOL, family + ": loss relative error " + lossRel);
            grads.assertAtMost(GRAD_TOL, family + " weight gradients");
        }
    }

    @Test
    void weightedCrossEntropyMatchesLibtorchInValueAndGradientForMeanAndSum() {
        Random rng = new Random(301);
        int rows = 7, k = 5;
        float[] z = Parity.gaussian(rng, rows * k, 3);
        int[] targets = {4, -100, 0, 2, 4, 1, 3};
        float[] weights = {0.3f, 1.7f, 0f, 4f, 0.9f};
        for (CrossEntropyOp.Reduction red : CrossEntropyOp.Reduction.values()) {
            for (float[] w : new float[][] {null, weights}) {
                OracleResult ref = LossOracle.crossEntropy(z, rows, k, targets, w, red == CrossEntropyOp.Reduction.SUM);
                Var logits = new Var(Tensor.of(z.clone(), rows, k), true);
                float value;
                try (Tape tape = Tape.record()) {
                    Var loss = CrossEntropyOp.apply(logits, targets, -100, red, w);
                    value = loss.data()[0];
                    tape.backward(loss);
                }
                String what = red + (w == null ? "" : " weighted");
                double rel = Math.abs(value - ref.loss()) / Math.abs(ref.loss()), gradRel = Parity.rel(logits.grad().data(), ref.inputGrad());
                System.out.printf("PARITY cross-entropy %s: loss=%.3e grad=%.3e%n", what, rel, gradRel);
                assertTrue(rel <= 1e-6, what + ": loss " + value + " vs libtorch " + ref.loss());
                assertTrue(gradRel <= 1e-6, what + ": gradient relative error " + gradRel);
            }
        }
    }
}
