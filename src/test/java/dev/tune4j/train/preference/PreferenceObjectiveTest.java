package dev.tune4j.train.preference;

import dev.tune4j.autograd.Tape;
import dev.tune4j.data.collate.LmRows;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.train.Batches;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Objective;
import dev.tune4j.train.ReferenceModel;
import dev.tune4j.train.TrainConfig;
import dev.tune4j.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreferenceObjectiveTest {
    static final int VOCAB = 53;

    /** A row: the prompt, then the completion; targets on the completion tokens only. */
    static LmBatch row(int[] prompt, int[] completion) {
        int n = prompt.length + completion.length;
        int[] ids = new int[n], targets = new int[n];
        for (int i = 0; i < n; i++) ids[i] = i < prompt.length ? prompt[i] : completion[i - prompt.length];
        for (int i = 0; i < n; i++) targets[i] = i + 1 >= prompt.length && i + 1 < n ? ids[i + 1] : LmBatch.IGNORE;
        return LmRows.row(ids, targets, null, null);
    }

    /** Pairs whose chosen completions repeat token 7, the rejected ones token 9, after varied prompts. */
    static List<PreferenceBatch.Pair> pairs() {
        List<PreferenceBatch.Pair> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] prompt = {1, 10 + i, 20 + i};
            out.add(new PreferenceBatch.Pair(row(prompt, new int[] {7, 7, 7, 2}), row(prompt, new int[] {9, 9, 2}), Double.NaN, Double.NaN));
        }
        return out;
    }

    static Transformer model() {
        return new Transformer(TransformerConfig.llamaLike(VOCAB, 32, 2, 4, 2, 32));  // seeded: every call the same weights
    }

    @Test
    void atStepZeroTheReferenceIsThePolicySoMarginsAreZeroAndTheLossIsLog2() {
        Transformer m = model();
        List<PreferenceBatch.Pair> scored = PreferenceObjective.withReference(pairs(), ReferenceModel.frozen(m), 3);
        try (Tape tape = Tape.record()) {
            Objective.Loss l = new PreferenceObjective(m, PairLoss.dpo(0.1, 0)).loss(PreferenceBatch.collate(scored));
            assertEquals(Math.log(2), l.scalar(), 1e-6);
            assertEquals(0, l.metrics().get("margin"), 1e-6);
            assertEquals(0, l.metrics().get("rewards/chosen"), 1e-6);
            assertTrue(l.metrics().get("logps/chosen") < 0 && l.metrics().get("logps/rejected") < 0, l.metrics().toString());
            Objective.Loss ipo = new PreferenceObjective(m, PairLoss.ipo(0.2)).loss(PreferenceBatch.collate(scored));
            assertEquals(Math.pow(1 / 0.4, 2), ipo.scalar(), 1e-4);
        }
    }

    @Test
    void dpoTrainingRaisesTheMarginAndAccuracy() {
        for (PairLoss loss : List.of(PairLoss.dpo(0.5, 0), PairLoss.simpo(2, 0.5, 0), PairLoss.orpo(0.5))) {
            Transformer m = model();
            List<PreferenceBatch.Pair> scored = loss.needsReference() ? PreferenceObjective.withReference(pairs(), ReferenceModel.frozen(model()), 4) : pairs();
            PreferenceBatch batch = PreferenceBatch.collate(scored);
            PreferenceObjective objective = new PreferenceObjective(m, loss);
            double before = evaluate(m, objective, batch).get("margin");
            TrainConfig c = new TrainConfig();
            c.steps = 30;
            c.lr = 3e-3;
            c.schedule = "constant";
            new Trainer<>(m, objective, c).fit(Batches.fixed(List.of(batch), b -> 0), null, null);
            Map<String, Double> after = evaluate(m, objective, batch);
            System.out.printf("PREFERENCE %s margin %.4f -> %.4f accuracy %.2f%n", loss.kind().id, before, after.get("margin"), after.get("accuracy"));
            assertTrue(after.get("margin") > before + 0.1, loss.kind().id + ": margin " + before + " -> " + after.get("margin"));
            assertEquals(1, after.get("accuracy"), 0, loss.kind().id);
        }
    }

    private static Map<String, Double> evaluate(Transformer m, PreferenceObjective o, PreferenceBatch b) {
        m.train(false);
        return o.loss(b).metrics();
    }
}
