package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training loop end to end on tiny transformers (2 blocks, hidden 16, vocabulary 16):
 * overfitting, bitwise determinism, refusal of non-finite losses and gradients, frozen parameters,
 * gradient accumulation, early stopping with restoration of the best weights.
 */
class TrainerTest {
    private static final int VOCAB = 16, HIDDEN = 16, SEQ = 12;

    private static Transformer gpt2(long seed, float dropout) {
        TransformerConfig c = TransformerConfig.gpt2Like(VOCAB, HIDDEN, 2, 2, SEQ);
        c.seed = seed;
        c.dropout = dropout;
        return new Transformer(c);
    }

    /** No biases, so every weight has a real (not merely rounding-noise) gradient. */
    private static Transformer llama(long seed) {
        TransformerConfig c = TransformerConfig.llamaLike(VOCAB, HIDDEN, 2, 2, 1, SEQ);
        c.seed = seed;
        return new Transformer(c);
    }

    /** {@code rows} random sequences; targets are the next token, the last position ignored. */
    private static LmBatch randomBatch(long seed, int rows) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[rows * SEQ], targets = new int[rows * SEQ];
        int[] row = new int[SEQ + 1];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t <= SEQ; t++) row[t] = rng.nextInt(VOCAB);
            for (int t = 0; t < SEQ; t++) {
                ids[r * SEQ + t] = row[t];
                targets[r * SEQ + t] = row[t + 1];
            }
        }
        return new LmBatch(TokenBatch.of(ids, rows, SEQ), targets);
    }

    private static LmBatch rows(LmBatch b, int from, int to) {
        int n = to - from;
        int[] ids = new int[n * SEQ], targets = new int[n * SEQ];
        System.arraycopy(b.tokens().ids(), from * SEQ, ids, 0, n * SEQ);
        System.arraycopy(b.targets(), from * SEQ, targets, 0, n * SEQ);
        return new LmBatch(TokenBatch.of(ids, n, SEQ), targets);
    }

    private static <T> Iterator<T> cycle(List<T> items) {
        return new Iterator<>() {
            int i;
            public boolean hasNext() { return true; }
            public T next() { return items.get(i++ % items.size()); }
        };
    }

    private static TrainConfig config(int steps, double lr) {
        TrainConfig c = new TrainConfig();
        c.steps = steps;
        c.lr = lr;
        c.schedule = "constant";
        c.weightDecay = 0;
        return c;
    }

    private static Map<String, int[]> bits(Transformer m) {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (var e : m.namedParameters().entrySet()) {
            float[] d = e.getValue().value().toHeap().data();
            int[] b = new int[d.length];
            for (int i = 0; i < d.length; i++) b[i] = Float.floatToRawIntBits(d[i]);
            out.put(e.getKey(), b);
        }
        return out;
    }

    private static void assertSameBits(Map<String, int[]> expected, Map<String, int[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) assertArrayEquals(expected.get(name), actual.get(name), what + ": " + name);
    }

    @Test
    void tinyModelOverfitsOneFixedBatch() {
        Transformer model = gpt2(1, 0f);
        LmBatch batch = randomBatch(11, 4);
        TrainConfig tc = config(150, 1e-2);
        tc.warmupSteps = 10;
        tc.schedule = "constant_with_warmup";
        Trainer<LmBatch> trainer = new Trainer<>(model, new CausalLmObjective(model), tc);
        double initial = trainer.evaluate(List.of(batch)).loss();
        List<Double> losses = new ArrayList<>();
        Trainer.Result r = trainer.fit(cycle(List.of(batch)), null, new Trainer.Listener() {
            @Override
            public void onStep(Trainer.Step s) {
                losses.add(s.loss());
            }
        });
        double last = trainer.evaluate(List.of(batch)).loss();
        System.out.printf("TRAIN overfit initial=%.4f final=%.5f steps=%d firstBelow0.05=%d%n", initial, last, r.steps(),
                losses.indexOf(losses.stream().filter(l -> l < 0.05).findFirst().orElse(Double.NaN)) + 1);
        assertTrue(initial > 2.5, "a fresh model is near uniform over 16 tokens: " + initial);
        assertTrue(last < 0.05, "loss after " + r.steps() + " steps is " + last);
        assertEquals(150, r.steps());
    }

    private static Map<String, int[]> trainedBits(long seed) {
        Transformer model = gpt2(seed, 0.1f); // dropout on, so its random stream is part of what must repeat
        List<LmBatch> data = List.of(randomBatch(21, 2), randomBatch(22, 2));
        new Trainer<>(model, new CausalLmObjective(model), config(8, 3e-3)).fit(cycle(data), null, null);
        return bits(model);
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsAndAnotherSeedDoesNot() {
        Map<String, int[]> a = trainedBits(5), b = trainedBits(5), c = trainedBits(6);
        assertSameBits(a, b, "same seed");
        boolean differs = false;
        for (String name : a.keySet()) differs |= !java.util.Arrays.equals(a.get(name), c.get(name));
        assertTrue(differs, "a different seed must give different weights");
    }

    @Test
    void nanLossIsRefusedAndLeavesTheWeightsUnchanged() {
        Transformer model = gpt2(2, 0f);
        LmBatch batch = randomBatch(31, 2);
        model.embed.weight.value().data()[batch.tokens().ids()[3] * HIDDEN + 5] = Float.NaN; // a used embedding row
        Map<String, int[]> before = bits(model);
        Trainer<LmBatch> trainer = new Trainer<>(model, new CausalLmObjective(model), config(5, 1e-2));
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> trainer.fit(cycle(List.of(batch)), null, null));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertSameBits(before, bits(model), "after a NaN loss");
    }

    /** The causal-LM loss, plus an op whose backward writes a non-finite value into one weight's gradient. */
    private static Objective<LmBatch> poisonedBackward(Transformer model, Parameter victim, float value) {
        CausalLmObjective ce = new CausalLmObjective(model);
        return batch -> {
            Objective.Loss l = ce.loss(batch);
            Var in = l.value();
            Var out = Tape.output(Tensor.of(in.data().clone(), in.shape()), in, victim);
            if (out.requiresGrad()) Tape.push(() -> {
                in.gradForAccumulation()[0] += out.grad().data()[0];
                victim.gradForAccumulation()[7] = value;
            });
            return new Objective.Loss(out, l.count(), l.metrics());
        };
    }

    @ParameterizedTest
    @ValueSource(doubles = {1.0, 0.0})
    void nonFiniteGradientIsRefusedBeforeTheStepWithOrWithoutClipping(double clipNorm) {
        Transformer model = gpt2(3, 0f);
        Parameter victim = model.layers.get(1).mlp.up.weight;
        Map<String, int[]> before = bits(model);
        TrainConfig tc = config(5, 1e-2);
        tc.clipNorm = clipNorm;
        Trainer<LmBatch> trainer = new Trainer<>(model, poisonedBackward(model, victim, Float.POSITIVE_INFINITY), tc);
        NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class,
                () -> trainer.fit(cycle(List.of(randomBatch(41, 2))), null, null));
        assertEquals("layers.1.mlp.up.weight", e.parameterName());
        assertEquals(7, e.elementIndex());
        assertSameBits(before, bits(model), "after a non-finite gradient");
    }

    @Test
    void frozenParametersKeepTheirValuesAndGetNoGradientWhileTheOthersTrain() {
        Transformer model = llama(4);
        int frozen = model.freeze(n -> n.startsWith("embed.") || n.startsWith("layers.0."));
        assertEquals(1 + 9, frozen, "embedding + the first block's 9 weights");
        Map<String, int[]> before = bits(model);
        Trainer<LmBatch> trainer = new Trainer<>(model, new CausalLmObjective(model), config(4, 1e-2));
        for (var g : trainer.optimizer().groups()) for (Parameter p : g.params()) assertFalse(p.frozen(), p.name() + " is frozen");
        trainer.fit(cycle(List.of(randomBatch(51, 2))), null, null);
        Map<String, int[]> after = bits(model);
        for (var e : model.namedParameters().entrySet()) {
            String name = e.getKey();
            Parameter p = e.getValue();
            if (p.frozen()) {
                assertArrayEquals(before.get(name), after.get(name), "frozen " + name + " changed");
                assertNull(p.grad(), "frozen " + name + " has a gradient buffer");
            } else {
                assertFalse(java.util.Arrays.equals(before.get(name), after.get(name)), "trainable " + name + " did not change");
                assertNotNull(p.grad(), "trainable " + name + " has no gradient buffer");
            }
        }
    }

    @Test
    void twoHalfMicroBatchesGiveTheSameUpdatesAsTheFullBatch() {
        // A llama-like model has no biases, so no gradient is pure rounding noise (to which Adam's
        // normalised step would be sensitive). No clipping, so the reported norms are the raw ones.
        List<LmBatch> full = List.of(randomBatch(61, 4), randomBatch(62, 4));
        List<LmBatch> halves = List.of(rows(full.get(0), 0, 2), rows(full.get(0), 2, 4), rows(full.get(1), 0, 2), rows(full.get(1), 2, 4));
        Run a = accumulationRun(full, 1), b = accumulationRun(halves, 2);
        for (int s = 0; s < a.losses.size(); s++) {
            assertEquals(a.losses.get(s), b.losses.get(s), 1e-5 * a.losses.get(s), "loss at update " + (s + 1));
            assertEquals(a.norms.get(s), b.norms.get(s), 1e-4 * a.norms.get(s), "gradient norm at update " + (s + 1));
        }
        double diff = 0, moved = 0;
        for (String name : a.weights.keySet()) {
            float[] x = a.weights.get(name), y = b.weights.get(name), x0 = a.initial.get(name);
            for (int i = 0; i < x.length; i++) {
                diff = Math.max(diff, Math.abs(x[i] - y[i]));
                moved = Math.max(moved, Math.abs(x[i] - x0[i]));
            }
        }
        System.out.printf("TRAIN accumulation maxWeightDiff=%.3e maxMove=%.3e%n", diff, moved);
        assertTrue(moved > 1e-3, "the updates must move the weights: " + moved);
        assertTrue(diff < 1e-3 * moved, "accumulated and full-batch weights differ by " + diff + " (moved " + moved + ")");
    }

    /**
     * The contract: one update of batch 8 equals 4 accumulated micro-batches of 2 whose
     * rows carry very different numbers of scored tokens (uneven padding), to 1e-6 relative. A
     * trainer that averaged micro-batch means would be off by tens of percent here. SGD with a huge
     * learning rate makes the weight change the gradient itself, far above the weights' rounding.
     */
    @Test
    void accumulationNormalisesByEveryScoredTokenOfTheUpdate() {
        LmBatch full = randomBatch(81, 8);
        int[] targets = full.targets().clone();
        int[] scored = {12, 1, 3, 12, 7, 2, 12, 5}; // tokens kept per row; the rest is padding
        for (int r = 0; r < 8; r++) for (int t = scored[r]; t < SEQ; t++) targets[r * SEQ + t] = LmBatch.IGNORE;
        LmBatch padded = new LmBatch(full.tokens(), targets);
        List<LmBatch> micro = List.of(rows(padded, 0, 2), rows(padded, 2, 4), rows(padded, 4, 6), rows(padded, 6, 8));
        Map<String, float[]> one = sgdUpdate(List.of(padded), 1), four = sgdUpdate(micro, 4);
        Map<String, float[]> w0 = values(llama(7));
        double worst = 0, largest = 0;
        for (String name : one.keySet()) {
            float[] a = one.get(name), b = four.get(name), z = w0.get(name);
            for (int i = 0; i < a.length; i++) {
                largest = Math.max(largest, Math.abs(a[i] - z[i]));
                worst = Math.max(worst, Math.abs((a[i] - z[i]) - (b[i] - z[i])));
            }
        }
        System.out.printf("TRAIN exact accumulation: max update diff %.3e of max update %.3e%n", worst, largest);
        assertTrue(largest > 1, "the update must be far above the weights' rounding: " + largest);
        assertTrue(worst <= 1e-6 * largest, "accumulated update differs by " + worst / largest + " relative");
    }

    private static Map<String, float[]> sgdUpdate(List<LmBatch> data, int accumulation) {
        Transformer model = llama(7);
        TrainConfig tc = config(1, 1e3);
        tc.optimizer = "sgd";
        tc.weightDecay = 0;
        tc.gradAccumulation = accumulation;
        tc.clipNorm = 0;
        tc.schedule = "constant";
        new Trainer<>(model, new CausalLmObjective(model), tc).fit(Batches.fixed(data, b -> 0), null, null);
        return values(model);
    }

    @Test
    void epochsBoundUpdatesAndAPartialWindowEndsEachEpoch() {
        // 5 micro-batches per epoch with accumulation 2: updates of 2, 2 and 1 micro-batches, 3 per epoch.
        List<LmBatch> data = new ArrayList<>();
        for (int i = 0; i < 5; i++) data.add(randomBatch(90 + i, 2));
        Transformer model = gpt2(3, 0f);
        TrainConfig tc = config(1000, 1e-3);
        tc.epochs = 2;
        tc.gradAccumulation = 2;
        List<Integer> epochs = new ArrayList<>(), evals = new ArrayList<>();
        Trainer<LmBatch> trainer = new Trainer<>(model, new CausalLmObjective(model), tc);
        Trainer.Result r = trainer.fit(Batches.fixed(data, b -> b.tokens().ids().length), () -> List.of(data.get(0)), new Trainer.Listener() {
            public void onStep(Trainer.Step s) { epochs.add(s.epoch()); }

            public void onEval(Trainer.Eval e) { evals.add(e.step()); }
        });
        assertEquals(6, r.steps());
        assertEquals(List.of(0, 0, 0, 1, 1, 1), epochs);
        assertEquals(List.of(3, 6), evals, "evaluated at each epoch's end");
        assertEquals(2, trainer.state().epoch);
    }

    private record Run(List<Double> losses, List<Double> norms, Map<String, float[]> initial, Map<String, float[]> weights) {}

    private static Run accumulationRun(List<LmBatch> data, int accumulation) {
        Transformer model = llama(7);
        Map<String, float[]> initial = values(model);
        TrainConfig tc = config(4, 1e-2);
        tc.gradAccumulation = accumulation;
        tc.clipNorm = 0;
        List<Double> losses = new ArrayList<>(), norms = new ArrayList<>();
        new Trainer<>(model, new CausalLmObjective(model), tc).fit(cycle(data), null, new Trainer.Listener() {
            @Override
            public void onStep(Trainer.Step s) {
                losses.add(s.loss());
                norms.add(s.gradNorm());
            }
        });
        return new Run(losses, norms, initial, values(model));
    }

    private static Map<String, float[]> values(Transformer m) {
        Map<String, float[]> out = new HashMap<>();
        for (var e : m.namedParameters().entrySet()) out.put(e.getKey(), e.getValue().value().toHeap().data().clone());
        return out;
    }

    @Test
    void earlyStoppingStopsWhenValidationStopsImprovingAndRestoresTheBestWeights() {
        // Training and validation follow the same successor rule except for a few tokens whose
        // successor differs: validation improves while the shared rule is learnt, then worsens as
        // the model grows confident in the training successors of the conflicting tokens.
        LmBatch train = ruleBatch(71, 4, false), val = ruleBatch(72, 4, true);
        Transformer model = gpt2(8, 0f);
        TrainConfig tc = config(400, 1e-2);
        tc.evalEvery = 5;
        tc.earlyStoppingPatience = 3;
        tc.restoreBest = true;
        Trainer<LmBatch> trainer = new Trainer<>(model, new CausalLmObjective(model), tc);
        Map<Integer, Map<String, int[]>> atEval = new HashMap<>();
        List<double[]> curve = new ArrayList<>();
        Trainer.Result r = trainer.fit(cycle(List.of(train)), () -> List.of(val), new Trainer.Listener() {
            @Override
            public void onEval(Trainer.Eval e) {
                atEval.put(e.step(), bits(model));
                curve.add(new double[] {e.step(), e.evaluation().loss()});
            }
        });
        StringBuilder sb = new StringBuilder();
        for (double[] p : curve) sb.append(String.format(" %d:%.3f", (int) p[0], p[1]));
        System.out.println("TRAIN earlyStopping steps=" + r.steps() + " best=" + r.bestStep() + " curve" + sb);
        assertTrue(r.stoppedEarly(), "validation loss kept improving: " + sb);
        assertTrue(r.steps() < tc.steps);
        assertEquals(r.bestStep() + tc.earlyStoppingPatience * tc.evalEvery, r.steps(), "stops after patience evaluations without improvement");
        assertTrue(r.bestStep() > tc.evalEvery, "validation should improve at first: " + sb);
        assertSameBits(atEval.get(r.bestStep()), bits(model), "restored weights");
        assertEquals(r.bestValLoss(), trainer.evaluate(List.of(val)).loss(), 0.0, "the restored model has the best validation loss");
        double lastVal = curve.get(curve.size() - 1)[1];
        assertTrue(lastVal > r.bestValLoss(), "the final evaluation was worse than the best");
    }

    /** Sequences of the successor rule next(x) = 5x + 3 mod 16; in validation tokens 0..2 are followed by x + 8 instead. */
    private static LmBatch ruleBatch(long seed, int rows, boolean validation) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[rows * SEQ], targets = new int[rows * SEQ];
        for (int r = 0; r < rows; r++) {
            int x = rng.nextInt(VOCAB);
            for (int t = 0; t < SEQ; t++) {
                int next = validation && x < 3 ? (x + 8) % VOCAB : (5 * x + 3) % VOCAB;
                ids[r * SEQ + t] = x;
                targets[r * SEQ + t] = next;
                x = next;
            }
        }
        return new LmBatch(TokenBatch.of(ids, rows, SEQ), targets);
    }

    /** Adam steps of one training run on a fixed batch, with the given L2-SP strength; returns ||w - w0||. */
    private static double distanceAfterTraining(double l2Sp) {
        Transformer m = llama(3);
        Map<String, float[]> start = new LinkedHashMap<>();
        for (var e : m.namedParameters().entrySet()) start.put(e.getKey(), e.getValue().value().toHeap().data().clone());
        TrainConfig c = config(30, 1e-2);
        c.l2Sp = l2Sp;
        Trainer<LmBatch> t = new Trainer<>(m, new CausalLmObjective(m), c);
        t.fit(cycle(List.of(randomBatch(4, 2))), null, null);
        double sum = 0;
        for (var e : m.namedParameters().entrySet()) {
            float[] w = e.getValue().value().toHeap().data(), w0 = start.get(e.getKey());
            for (int i = 0; i < w.length; i++) sum += ((double) w[i] - w0[i]) * ((double) w[i] - w0[i]);
        }
        double d = Math.sqrt(sum);
        if (l2Sp > 0) assertEquals(d, t.distanceFromStart(), 1e-6 * d, "the trainer's own distance figure");
        return d;
    }

    @Test
    void l2SpPullsTheWeightsTowardsWhereTrainingStarted() {
        double free = distanceAfterTraining(0), pulled = distanceAfterTraining(1.0);
        System.out.printf("L2-SP: distance from the start %.4f without, %.4f with lambda 1%n", free, pulled);
        assertTrue(pulled < 0.8 * free, "L2-SP should keep the weights closer to the start: " + pulled + " vs " + free);
    }

    @Test
    void l2SpAddsLambdaTimesTheDistanceToEachGradient() {
        Transformer m = llama(3);
        java.util.List<dev.tune4j.autograd.Parameter> params = m.trainableParameters();
        L2Sp reg = new L2Sp(0.5, params);
        float[] w = params.get(0).data();
        w[0] += 2f;
        w[1] -= 1f;
        params.get(0).zeroGrad();
        reg.addGradient();
        float[] g = params.get(0).grad().data();
        assertEquals(1.0f, g[0], 1e-6f);
        assertEquals(-0.5f, g[1], 1e-6f);
        assertEquals(0f, g[2], 0f);
        assertEquals(Math.sqrt(5), reg.distance(), 1e-6);
    }

    @Test
    void neftuneNoiseIsBoundedPresentOnlyWhileTrainingAndAFunctionOfTheTapeKey() {
        Transformer m = llama(3);
        m.setNeftuneAlpha(5);
        m.train(false);
        LmBatch b = randomBatch(4, 2);
        float[] clean = m.hidden(b.tokens()).value().toHeap().data().clone();
        m.train(true);
        float[] noisy1, noisy2, other;
        try (var tape = dev.tune4j.autograd.Tape.record(7)) { noisy1 = m.hidden(b.tokens()).value().toHeap().data().clone(); }
        try (var tape = dev.tune4j.autograd.Tape.record(7)) { noisy2 = m.hidden(b.tokens()).value().toHeap().data().clone(); }
        try (var tape = dev.tune4j.autograd.Tape.record(8)) { other = m.hidden(b.tokens()).value().toHeap().data().clone(); }
        m.train(false);
        assertArrayEquals(clean, m.hidden(b.tokens()).value().toHeap().data(), "no noise in evaluation");
        assertArrayEquals(noisy1, noisy2, "the same tape key draws the same noise");
        assertFalse(java.util.Arrays.equals(noisy1, other), "another key draws other noise");
        assertFalse(java.util.Arrays.equals(noisy1, clean), "noise while training");
    }

    @Test
    void sequenceLogProbsAreTheNegatedCrossEntropyOfTheCompletionTokens() {
        Transformer m = llama(3);
        m.train(false);
        int[] prompt = {1, 5, 9}, completion = {2, 7, 7, 3};
        SequenceLogProbs.Scores s = SequenceLogProbs.score(m, List.of(prompt, new int[] {4}), List.of(completion, new int[] {6, 1}));
        assertEquals(4, s.count()[0]);
        assertEquals(2, s.count()[1]);
        // the same tokens through the training objective: mean cross-entropy over the completion targets
        int[] ids = {1, 5, 9, 2, 7, 7}, targets = {LmBatch.IGNORE, LmBatch.IGNORE, 2, 7, 7, 3};
        double ce = new CausalLmObjective(m).loss(new LmBatch(TokenBatch.of(ids, 1, 6), targets)).scalar();
        assertEquals(-4 * ce, s.sum()[0], 1e-4, "sum of log-probs = -(count x mean cross-entropy)");
        // batching (padding the shorter row) changes nothing
        SequenceLogProbs.Scores alone = SequenceLogProbs.score(m, List.of(new int[] {4}), List.of(new int[] {6, 1}));
        assertEquals(alone.sum()[0], s.sum()[1], 1e-5);
    }
}
