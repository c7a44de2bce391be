package dev.tune4j.train;

import dev.tune4j.autograd.Var;
import dev.tune4j.model.DecoderClassifier;
import dev.tune4j.model.HfConfig;
import dev.tune4j.model.bert.BertClassifier;
import dev.tune4j.model.bert.BertFamily;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Cross-entropy and accuracy over class logits, and a tiny BERT classifier fine-tuned with the Trainer. */
class ClassificationObjectiveTest {

    /** An objective over fixed logits [rows, k], whatever the tokens. */
    private static ClassificationObjective fixed(float[] logits, int k) {
        return new ClassificationObjective(tb -> Var.constant(Tensor.of(logits.clone(), logits.length / k, k)), k);
    }

    private static ClassificationBatch batchOf(int... labels) {
        return new ClassificationBatch(TokenBatch.of(new int[labels.length], labels.length, 1), labels);
    }

    @Test
    void lossIsTheMeanCrossEntropyAndAccuracyCountsArgmaxHits() {
        float[] z = {2f, 0.5f, -1f, 0f, 0f, 3f, 1f, 1f, 1f, -2f, 4f, 0.5f};   // 4 rows, 3 classes; row 2 ties
        int[] labels = {0, 1, 0, 1};                                         // right, wrong, right (tie -> 0), right
        Objective.Loss l = fixed(z, 3).loss(batchOf(labels));
        double want = 0;
        for (int r = 0; r < 4; r++) {
            double lse = 0;
            for (int k = 0; k < 3; k++) lse += Math.exp(z[r * 3 + k]);
            want += Math.log(lse) - z[r * 3 + labels[r]];
        }
        assertEquals(want / 4, l.scalar(), 1e-6);
        assertEquals(4, l.count());
        assertEquals(0.75, l.metrics().get("accuracy"), 0);
    }

    @Test
    void ignoredExamplesAreNeitherLossNorAccuracy() {
        float[] z = {2f, 0f, 0f, 5f, 0f, 1f};
        Objective.Loss l = fixed(z, 2).loss(batchOf(0, ClassificationBatch.IGNORE, 0));
        assertEquals(2, l.count());
        assertEquals(0.5, l.metrics().get("accuracy"), 0);
        assertEquals((Math.log(Math.exp(2) + 1) - 2 + Math.log(Math.exp(1) + 1)) / 2, l.scalar(), 1e-6);
    }

    @Test
    void badLabelsAndShapesAreClearErrors() {
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> fixed(new float[6], 3).loss(batchOf(0, 3)));
        assertTrue(range.getMessage().contains("target 3") && range.getMessage().contains("3 classes"), range.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> fixed(new float[6], 3).loss(batchOf(0, 1, 2)));
        assertTrue(shape.getMessage().contains("ClassificationObjective") && shape.getMessage().contains("[2, 3]"), shape.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> new ClassificationBatch(TokenBatch.of(new int[4], 2, 2), new int[] {0}));
        assertTrue(count.getMessage().contains("1 labels for 2 sequences"), count.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClassificationObjective(tb -> null, 1));
    }

    @Test
    void summedLossesOverMicroBatchesDividedByTheirWeightsGiveTheWeightedMeanOfTheWholeBatch() {
        float[] z = {2f, 0.5f, -1f, 0f, 0f, 3f, 1f, 1f, 1f, -2f, 4f, 0.5f, 0.3f, -0.7f, 1.1f};   // 5 rows, 3 classes
        int[] labels = {0, 2, ClassificationBatch.IGNORE, 1, 2};
        float[] w = {1f, 3f, 0.5f};
        double sum = 0, weights = 0;
        for (int r = 0; r < 5; r++) {
            if (labels[r] == ClassificationBatch.IGNORE) continue;
            double lse = 0;
            for (int k = 0; k < 3; k++) lse += Math.exp(z[r * 3 + k]);
            sum += w[labels[r]] * (Math.log(lse) - z[r * 3 + labels[r]]);
            weights += w[labels[r]];
        }
        ClassificationObjective whole = weighted(z, 3, w);
        ClassificationBatch all = batchOf(labels);
        assertEquals(4, whole.count(all));
        assertEquals(weights, whole.weight(all), 1e-12);
        assertEquals(sum, whole.lossSum(all).data()[0], 1e-5);
        assertEquals(sum / weights, whole.loss(all).scalar(), 1e-6, "loss() is one micro-batch's weighted mean");
        assertEquals(4, whole.loss(all).count());

        // the same rows as two micro-batches of 2 and 3
        ClassificationObjective first = weighted(java.util.Arrays.copyOfRange(z, 0, 6), 3, w), second = weighted(java.util.Arrays.copyOfRange(z, 6, 15), 3, w);
        ClassificationBatch a = batchOf(0, 2), b = batchOf(ClassificationBatch.IGNORE, 1, 2);
        double summed = first.lossSum(a).data()[0] + second.lossSum(b).data()[0];
        assertEquals(sum / weights, summed / (first.weight(a) + second.weight(b)), 1e-6);
        assertEquals(4, first.count(a) + second.count(b));
        assertNotEquals(whole.loss(all).scalar(), fixed(z, 3).loss(all).scalar(), 1e-3, "the weights must matter here");

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> weighted(z, 3, new float[] {1f, 2f}));
        assertTrue(bad.getMessage().contains("2 class weights for 3 labels"), bad.getMessage());
    }

    private static ClassificationObjective weighted(float[] logits, int k, float[] w) {
        return new ClassificationObjective(tb -> Var.constant(Tensor.of(logits.clone(), logits.length / k, k)), k, w);
    }

    @Test
    void lossSumAndAccumulateAddTheBatchPredictionsToTheMetrics() {
        float[] z = {2f, 0.5f, -1f, 0f, 0f, 3f, 1f, 1f, 1f, -2f, 4f, 0.5f};
        ClassificationBatch batch = batchOf(0, 1, 0, ClassificationBatch.IGNORE);
        ClassificationMetrics fromLoss = new ClassificationMetrics(3), fromEval = new ClassificationMetrics(3);
        fixed(z, 3).lossSum(batch, fromLoss);
        fixed(z, 3).accumulate(fromEval, batch);
        long[][] expected = {{2, 0, 0}, {0, 0, 1}, {0, 0, 0}};   // predictions 0, 2, 0 (tie); the ignored row left out
        assertArrayEquals(expected, fromLoss.confusion());
        assertArrayEquals(expected, fromEval.confusion());
    }

    // ---- fine-tuning a tiny classifier -------------------------------------------------------

    static final int VOCAB = 24, SEQ = 8, CLS = 1, SEP = 2, PAD = 0, FIRST_KEYWORD = 3, CLASSES = 3, FIRST_NOISE = 6;

    /**
     * [CLS] noise... keyword noise... [SEP] padding: the class is which of three keyword tokens
     * occurs, at a random position among 2-5 random noise tokens. Only attention can carry it to [CLS].
     */
    static ClassificationBatch keywordBatch(SplittableRandom rng, int rows) {
        int[] ids = new int[rows * SEQ], labels = new int[rows];
        int[][] mask = new int[rows][SEQ];
        for (int r = 0; r < rows; r++) {
            int noise = 2 + rng.nextInt(4), at = 1 + rng.nextInt(noise + 1), len = noise + 3;
            labels[r] = rng.nextInt(CLASSES);
            int base = r * SEQ;
            ids[base] = CLS;
            for (int t = 1; t < len - 1; t++) ids[base + t] = t == at ? FIRST_KEYWORD + labels[r] : FIRST_NOISE + rng.nextInt(VOCAB - FIRST_NOISE);
            ids[base + len - 1] = SEP;
            for (int t = len; t < SEQ; t++) ids[base + t] = PAD;
            for (int t = 0; t < len; t++) mask[r][t] = 1;
        }
        return new ClassificationBatch(new TokenBatch(ids, rows, SEQ, mask, null, null), labels);
    }

    @Test
    void tinyBertClassifierFineTunesToHighAccuracyOnASeparableTask() throws Exception {
        HfConfig hf = new HfConfig(Json.MAPPER.readTree("""
                {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": %d, "hidden_size": 16,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": %d,
                 "hidden_dropout_prob": 0.0, "classifier_dropout": 0.1,
                 "id2label": {"0": "a", "1": "b", "2": "c"}}""".formatted(VOCAB, SEQ)), "tiny");
        TransformerConfig c = new BertFamily().config(hf);
        // BERT's init std 0.02 suits wide models; at width 16 the pooler's tanh then saturates on a
        // plateau that tells only one class from the rest, so start larger.
        c.initStd = 0.1f;
        BertClassifier model = BertClassifier.fromConfig(c, hf);
        ClassificationObjective objective = new ClassificationObjective(model);

        SplittableRandom rng = new SplittableRandom(7);
        List<ClassificationBatch> train = new ArrayList<>(), held = new ArrayList<>();
        for (int i = 0; i < 40; i++) train.add(keywordBatch(rng, 16));
        for (int i = 0; i < 4; i++) held.add(keywordBatch(rng, 32));
        TrainConfig tc = new TrainConfig();
        tc.steps = 200;
        tc.lr = 3e-3;
        tc.warmupSteps = 10;
        tc.weightDecay = 0;
        tc.evalEvery = 50;
        Trainer<ClassificationBatch> trainer = new Trainer<>(model, objective, tc);
        double before = trainer.evaluate(held).metrics().get("accuracy");
        Iterator<ClassificationBatch> it = new Iterator<>() {
            int i;
            public boolean hasNext() { return true; }
            public ClassificationBatch next() { return train.get(i++ % train.size()); }
        };
        long t0 = System.nanoTime();
        Trainer.Result r = trainer.fit(it, () -> held, null);
        Evaluator.Evaluation after = trainer.evaluate(held);
        System.out.printf("BERTCLS fine-tune: held-out accuracy %.3f -> %.3f, loss %.4f, %d steps in %.1f s%n",
                before, after.metrics().get("accuracy"), after.loss(), r.steps(), (System.nanoTime() - t0) / 1e9);
        assertTrue(before < 0.6, "an untrained classifier should not already solve it: " + before);
        assertTrue(after.metrics().get("accuracy") >= 0.95, "held-out accuracy " + after.metrics().get("accuracy"));
        assertFalse(model.isTraining(), "fit leaves the model in evaluation mode");
    }

    /** The same task for a Llama-style decoder: the last real token has attended to the whole sequence. */
    @Test
    void tinyDecoderClassifierFineTunesToHighAccuracyOnTheSameTask() {
        TransformerConfig c = TransformerConfig.llamaLike(VOCAB, 16, 1, 2, 1, SEQ);
        c.lmHead = false;
        c.initStd = 0.1f;
        DecoderClassifier model = new DecoderClassifier(c, List.of("a", "b", "c"));
        ClassificationObjective objective = new ClassificationObjective(model);

        SplittableRandom rng = new SplittableRandom(8);
        List<ClassificationBatch> train = new ArrayList<>(), held = new ArrayList<>();
        for (int i = 0; i < 40; i++) train.add(keywordBatch(rng, 16));
        for (int i = 0; i < 4; i++) held.add(keywordBatch(rng, 32));
        TrainConfig tc = new TrainConfig();
        tc.steps = 200;
        tc.lr = 3e-3;
        tc.warmupSteps = 10;
        tc.weightDecay = 0;
        tc.evalEvery = 50;
        Trainer<ClassificationBatch> trainer = new Trainer<>(model, objective, tc);
        double before = trainer.evaluate(held).metrics().get("accuracy");
        Iterator<ClassificationBatch> it = new Iterator<>() {
            int i;
            public boolean hasNext() { return true; }
            public ClassificationBatch next() { return train.get(i++ % train.size()); }
        };
        trainer.fit(it, () -> held, null);
        ClassificationMetrics m = new ClassificationMetrics(CLASSES);
        for (ClassificationBatch b : held) objective.accumulate(m, b);
        System.out.printf("DECODERCLS fine-tune: held-out accuracy %.3f -> %.3f, macro-F1 %.3f%n", before, m.accuracy(), m.macroF1());
        assertTrue(before < 0.6, "an untrained classifier should not already solve it: " + before);
        assertTrue(m.accuracy() >= 0.95, "held-out accuracy " + m.accuracy());
    }
}
