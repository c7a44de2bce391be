package dev.tune4j.parity;

import dev.tune4j.autograd.Tape;
import dev.tune4j.data.collate.LmRows;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.LlamaOracle;
import dev.tune4j.oracle.LossOracle;
import dev.tune4j.oracle.OracleResult;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Objective;
import dev.tune4j.train.preference.PairLoss;
import dev.tune4j.train.preference.PreferenceBatch;
import dev.tune4j.train.preference.PreferenceObjective;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** DPO's loss and every weight gradient of a small Llama against libtorch (log_softmax, gather, logsigmoid). */
class PreferenceParityTest {

    @Test
    void dpoLossAndWeightGradientsMatchLibtorch() {
        Checkpoint ckpt = RandomCheckpoints.build("llama", Map.of("num_hidden_layers", 1), 41);
        Parity.Engine e = Parity.fromMemory(ckpt);
        int rows = 4, t = 9, vocab = Parity.cfgInt(ckpt, "vocab_size");
        Random rng = new Random(42);
        int[][] ids = Parity.tokens(rng, rows, t, vocab);
        int[][] targets = new int[rows][t];
        int[] promptLen = {3, 4, 3, 5};   // completion-only targets: prompts differ per row
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < t; j++) targets[i][j] = j + 1 >= promptLen[i] && j + 1 < t ? ids[i][j + 1] : LmBatch.IGNORE;
        }
        double[] reference = {-40.1, -38.7, -41.3, -39.9};
        double beta = 0.3;

        LmBatch batch = new LmBatch(TokenBatch.of(ids, null), Parity.flat(targets));
        double loss;
        try (Tape tape = Tape.record()) {
            Objective.Loss l = new PreferenceObjective(e.model(), PairLoss.dpo(beta, 0)).loss(new PreferenceBatch(batch, reference));
            loss = l.scalar();
            tape.backward(l.value());
        }
        float[] logits = LlamaOracle.logits(ckpt, ids, null).output();
        OracleResult dpo = LossOracle.dpo(logits, rows, t, vocab, Parity.flat(targets), reference, beta);
        OracleResult ref = LlamaOracle.logits(ckpt, ids, dpo.inputGrad());   // chain rule through the model
        Parity.Worst grads = Parity.compareGrads(ref.grads(), Parity.hfGrads(e.model(), e.rules()), "dpo");
        double lossRel = Math.abs(loss - dpo.loss()) / Math.abs(dpo.loss());
        System.out.printf("PARITY dpo loss=%.6f oracle=%.6f rel=%.3e maxGrad=%.3e (worst %s)%n", loss, dpo.loss(), lossRel, grads.rel, grads.name);
        assertTrue(lossRel <= Parity.OUT_TOL, "loss " + loss + " vs libtorch " + dpo.loss());
        grads.assertAtMost(Parity.GRAD_TOL, "dpo weight gradients");
    }
}
