package dev.tune4j.train;

import dev.tune4j.nn.Block;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bit-exact resume of the training loop: a run stopped after update k (at an epoch's end, mid-epoch,
 * with the stop requested mid-accumulation, or killed outright and resumed from its last periodic
 * checkpoint), continued by a fresh model and trainer from the checkpoint on disk, ends with the
 * same weights, losses, evaluations and early-stopping outcome, bit for bit, as a run never
 * interrupted. Dropout (in the blocks and on the LoRA inputs), gradient accumulation with a short
 * last update per epoch, a warmup-then-linear schedule and early stopping with restored best weights
 * are all on, for full, partial and LoRA training of a tiny GPT-2.
 */
class TrainerResumeTest {
    private static final int VOCAB = 16, HIDDEN = 16, SEQ = 8;
    /** 5 micro-batches per epoch, 2 per update: 3 updates per epoch, the last of one micro-batch. */
    private static final List<LmBatch> TRAIN = List.of(batch(1), batch(2), batch(3), batch(4), batch(5));
    private static final List<LmBatch> VAL = List.of(batch(9));

    @TempDir
    Path dir;

    private static LmBatch batch(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int rows = 2;
        int[] ids = new int[rows * SEQ], targets = new int[rows * SEQ];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(VOCAB);
            targets[i] = (ids[i] * 3 + 1) % VOCAB; // learnable, so validation improves before it overfits
        }
        return new LmBatch(TokenBatch.of(ids, rows, SEQ), targets);
    }

    /** A fresh model, made trainable as {@code method} says. */
    private static Transformer model(String method) {
        TransformerConfig c = TransformerConfig.gpt2Like(VOCAB, HIDDEN, 2, 2, SEQ);
        c.seed = 3;
        c.dropout = 0.1f;
        Transformer m = new Transformer(c);
        switch (method) {
            case "full" -> {}
            case "partial" -> m.freeze(n -> n.startsWith("embed.") || n.startsWith("pos_embed.") || n.startsWith("layers.0."));
            case "lora" -> {
                m.freeze(n -> true);
                SplittableRandom rng = new SplittableRandom(7);
                for (Block b : m.layers) {
                    b.attn.q.addAdapter(2, 2f, 0.1f, rng);
                    b.attn.v.addAdapter(2, 2f, 0.1f, rng);
                }
            }
            default -> throw new IllegalArgumentException(method);
        }
        return m;
    }

    private static TrainConfig config() {
        TrainConfig c = new TrainConfig();
        c.epochs = 5;
        c.steps = Integer.MAX_VALUE;
        c.gradAccumulation = 2;
        c.lr = 2e-2;
        c.schedule = "linear";
        c.warmupSteps = 2;
        c.evalEvery = 2;
        c.earlyStoppingPatience = 3;
        c.checkpointEvery = 4;
        return c;
    }

    private record Outcome(Map<String, int[]> bits, Trainer.Result result) {}

    private static Trainer<LmBatch> trainer(Transformer m, Objective<LmBatch> objective) {
        return new Trainer<>(m, objective, config());
    }

    private static Outcome finish(Transformer m, Trainer<LmBatch> t) {
        Trainer.Result r = t.fit(Batches.fixed(TRAIN, b -> 0), () -> VAL, null);
        return new Outcome(bits(m), r);
    }

    private Outcome uninterrupted(String method) {
        Transformer m = model(method);
        return finish(m, trainer(m, new CausalLmObjective(m)));
    }

    /** A fresh model and trainer continuing from the newest checkpoint in {@code ckpts}. */
    private static Outcome resumed(String method, CheckpointDir ckpts) {
        Transformer m = model(method);
        Trainer<LmBatch> t = trainer(m, new CausalLmObjective(m)).saveWith(ckpts::save);
        t.resume(ckpts.newest(w -> { throw new AssertionError(w); }).orElseThrow().checkpoint());
        return finish(m, t);
    }

    @ParameterizedTest
    @ValueSource(strings = {"full", "partial", "lora"})
    void aRunStoppedAfterAnyUpdateResumesToTheSameBits(String method) {
        Outcome whole = uninterrupted(method);
        int total = whole.result().steps();
        System.out.printf("RESUME %s: %d updates, best %d, stopped early %b%n", method, total, whole.result().bestStep(), whole.result().stoppedEarly());
        assertTrue(whole.result().bestStep() > 0, "early stopping kept best weights");
        // 1: the first update; 3: an epoch's end; 5: mid-epoch; total - 1: after the best, just before the end
        for (int k : new int[] {1, 3, 5, total - 1}) {
            CheckpointDir ckpts = new CheckpointDir(dir.resolve(method + "-" + k), 2);
            Transformer m = model(method);
            StopRequest stop = new StopRequest();
            Trainer<LmBatch> t = trainer(m, new CausalLmObjective(m)).saveWith(ckpts::save).stopOn(stop);
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class,
                    () -> t.fit(Batches.fixed(TRAIN, b -> 0), () -> VAL, new Trainer.Listener() {
                        @Override
                        public void onStep(Trainer.Step s) {
                            if (s.step() == k) stop.request("test");
                        }
                    }));
            assertEquals(k, e.step());
            assertEquals(ckpts.dir().resolve("step-" + k), e.checkpoint());
            assertSame(whole, resumed(method, ckpts), method + " stopped after update " + k);
        }
    }

    @Test
    void aStopRequestedMidAccumulationFinishesTheUpdateFirst() {
        Outcome whole = uninterrupted("lora");
        CheckpointDir ckpts = new CheckpointDir(dir.resolve("mid"), 2);
        Transformer m = model("lora");
        StopRequest stop = new StopRequest();
        CausalLmObjective ce = new CausalLmObjective(m);
        AtomicInteger calls = new AtomicInteger();
        // Training micro-batches 1-2 make update 1, 3-4 update 2, 5 update 3 (the epoch's end), 6-7 update 4.
        Objective<LmBatch> requestsDuringUpdateFour = b -> {
            if (m.isTraining() && calls.incrementAndGet() == 6) stop.request("test");
            return ce.loss(b);
        };
        Trainer<LmBatch> t = trainer(m, requestsDuringUpdateFour).saveWith(ckpts::save).stopOn(stop);
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> finish(m, t));
        assertEquals(4, e.step(), "update 4 is completed before the stop");
        assertEquals(7, calls.get(), "both of its micro-batches ran");
        assertSame(whole, resumed("lora", ckpts), "stopped mid-accumulation");
    }

    @Test
    void aRunKilledMidUpdateResumesFromItsLastPeriodicCheckpoint() {
        Outcome whole = uninterrupted("full");
        CheckpointDir ckpts = new CheckpointDir(dir.resolve("killed"), 2);
        Transformer m = model("full");
        CausalLmObjective ce = new CausalLmObjective(m);
        AtomicInteger calls = new AtomicInteger();
        Objective<LmBatch> diesInUpdateFive = b -> {
            if (m.isTraining() && calls.incrementAndGet() == 9) throw new IllegalStateException("killed"); // its second micro-batch
            return ce.loss(b);
        };
        Trainer<LmBatch> t = trainer(m, diesInUpdateFive).saveWith(ckpts::save);
        assertThrows(IllegalStateException.class, () -> finish(m, t));
        assertEquals(List.of(ckpts.dir().resolve("step-4")), ckpts.complete(), "checkpoint.every = 4");
        assertSame(whole, resumed("full", ckpts), "killed in update 5");
    }

    @Test
    void aResumedRunThatHadAlreadyFinishedOnlyRestoresItsBestWeights() {
        Outcome whole = uninterrupted("partial");
        CheckpointDir ckpts = new CheckpointDir(dir.resolve("done"), 2);
        Transformer m = model("partial");
        finish(m, trainer(m, new CausalLmObjective(m)).saveWith(ckpts::save));
        assertEquals(whole.result().steps(), CheckpointDir.step(ckpts.complete().getFirst()), "the end of a run is saved");
        assertSame(whole, resumed("partial", ckpts), "resumed after the end");
    }

    private static void assertSame(Outcome expected, Outcome actual, String what) {
        assertEquals(expected.bits().keySet(), actual.bits().keySet());
        for (String name : expected.bits().keySet()) assertArrayEquals(expected.bits().get(name), actual.bits().get(name), what + ": " + name);
        Trainer.Result a = expected.result(), b = actual.result();
        assertEquals(a.steps(), b.steps(), what);
        assertEquals(a.bestStep(), b.bestStep(), what);
        assertEquals(a.stoppedEarly(), b.stoppedEarly(), what);
        assertEquals(Double.doubleToRawLongBits(a.bestValLoss()), Double.doubleToRawLongBits(b.bestValLoss()), what);
        assertCurve(a.trainCurve(), b.trainCurve(), what + ": training losses");
        assertCurve(a.valCurve(), b.valCurve(), what + ": validation losses");
    }

    private static void assertCurve(List<double[]> a, List<double[]> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), what + " at " + i);
    }

    static Map<String, int[]> bits(Transformer m) {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (var e : m.namedParameters().entrySet()) {
            float[] d = e.getValue().value().toHeap().data();
            int[] b = new int[d.length];
            for (int i = 0; i < d.length; i++) b[i] = Float.floatToRawIntBits(d[i]);
            out.put(e.getKey(), b);
        }
        return out;
    }

    @Test
    void trainStateReadsBackBitForBit() {
        TrainState s = new TrainState();
        s.step = 7;
        s.epoch = 2;
        s.batchInEpoch = 3;
        s.best = 0.1 + 0.2;
        s.bestStep = 4;
        s.sinceBest = 1;
        s.bestEvaluation = new Evaluator.Evaluation(Math.PI, 12, Map.of("accuracy", 2.0 / 3), Map.of("per_class", Map.of("a", 1)));
        List<Double> odd = new ArrayList<>(List.of(Double.NaN, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, Double.POSITIVE_INFINITY, 1e-310));
        for (int i = 0; i < odd.size(); i++) s.trainCurve.add(new double[] {i + 1, odd.get(i)});
        s.valCurve.add(new double[] {4, 1.0 / 3});
        TrainState back = TrainState.fromJson(s.toJson(), null);
        assertEquals(s.toJson(), back.toJson());
        for (int i = 0; i < odd.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(odd.get(i)), Double.doubleToRawLongBits(back.trainCurve.get(i)[1]), "value " + odd.get(i));
        }
        assertEquals(Double.doubleToRawLongBits(s.best), Double.doubleToRawLongBits(back.best));
        assertEquals(2.0 / 3, back.bestEvaluation.metric("accuracy"), 0.0);
    }
}
