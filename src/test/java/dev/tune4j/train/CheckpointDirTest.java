package dev.tune4j.train;

import dev.tune4j.autograd.Var;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints on disk under faults: a write that fails half-way (a full disk), a damaged or
 * truncated checkpoint, an unfinished one, a NaN loss; and which checkpoints are kept.
 */
class CheckpointDirTest {
    private static final int VOCAB = 12, SEQ = 6;

    @TempDir
    Path dir;

    private static LmBatch batch(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[2 * SEQ], targets = new int[2 * SEQ];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(VOCAB);
            targets[i] = rng.nextInt(VOCAB);
        }
        return new LmBatch(TokenBatch.of(ids, 2, SEQ), targets);
    }

    /** Trains a tiny model {@code steps} updates, saving every 2 into {@code ckpts}, with {@code objective} made from the model. */
    private static void train(CheckpointDir ckpts, int steps, java.util.function.Function<Transformer, Objective<LmBatch>> objective) {
        TransformerConfig c = TransformerConfig.gpt2Like(VOCAB, 8, 1, 2, SEQ);
        Transformer m = new Transformer(c);
        TrainConfig tc = new TrainConfig();
        tc.steps = steps;
        tc.checkpointEvery = 2;
        new Trainer<>(m, objective.apply(m), tc).saveWith(ckpts::save).fit(Batches.fixed(List.of(batch(1), batch(2)), b -> 0), null, null);
    }

    private static void train(CheckpointDir ckpts, int steps) {
        train(ckpts, steps, CausalLmObjective::new);
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteFailingHalfWayLeavesThePreviousCheckpointIntactAndSaysSo() throws Exception {
        AtomicInteger saves = new AtomicInteger();
        CheckpointDir ckpts = new CheckpointDir(dir.resolve("ckpts"), 2, name -> {
            if (name.equals(TrainCheckpoint.WEIGHTS)) saves.incrementAndGet();
            if (saves.get() == 2 && name.equals(TrainCheckpoint.OPTIMIZER)) throw new IOException("No space left on device");
        });
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> train(ckpts, 6));
        System.out.println("CHECKPOINT full disk: " + e.getMessage());
        assertTrue(e.getMessage().contains("step-4") && e.getMessage().contains("No space left on device")
                && e.getMessage().contains("previous checkpoint step-2 is intact"), e.getMessage());
        assertEquals(List.of("step-2"), names(ckpts.dir()), "the half-written folder is gone");
        assertEquals(2, TrainCheckpoint.read(ckpts.dir().resolve("step-2")).state().step);
    }

    @Test
    void aDamagedOrTruncatedCheckpointIsSetAsideWithAWarningAndThePreviousOneIsUsed() throws Exception {
        CheckpointDir ckpts = new CheckpointDir(dir.resolve("ckpts"), 3);
        train(ckpts, 6);
        Path six = ckpts.dir().resolve("step-6"), four = ckpts.dir().resolve("step-4"), two = ckpts.dir().resolve("step-2");
        try (RandomAccessFile f = new RandomAccessFile(six.resolve(TrainCheckpoint.WEIGHTS).toFile(), "rw")) {
            f.seek(f.length() - 3);
            int b = f.read();
            f.seek(f.length() - 3);
            f.write(b ^ 0x10); // one flipped bit in a weight
        }
        List<String> warnings = new ArrayList<>();
        assertEquals(four, ckpts.newest(warnings::add).orElseThrow().dir());
        assertEquals(1, warnings.size());
        assertTrue(warnings.getFirst().contains("step-6") && warnings.getFirst().contains("SHA-256"), warnings.getFirst());
        assertTrue(Files.isDirectory(ckpts.dir().resolve("step-6.invalid")), "kept for inspection");

        Path state = four.resolve(TrainCheckpoint.STATE);
        Files.write(state, java.util.Arrays.copyOf(Files.readAllBytes(state), (int) Files.size(state) / 2));
        warnings.clear();
        assertEquals(two, ckpts.newest(warnings::add).orElseThrow().dir());
        assertTrue(warnings.getFirst().contains("truncated"), warnings.getFirst());

        Files.delete(two.resolve(TrainCheckpoint.MANIFEST));
        warnings.clear();
        assertTrue(ckpts.newest(warnings::add).isEmpty());
        assertTrue(warnings.getFirst().contains("not finished"), warnings.getFirst());
    }

    @Test
    void theNewestKeepAndTheBestEvaluationsCheckpointAreKept() throws Exception {
        CheckpointDir ckpts = new CheckpointDir(dir.resolve("ckpts"), 2);
        TrainState s = new TrainState();
        s.bestStep = 2;
        Tensor w = Tensor.of(new float[] {1, 2}, 2);
        for (int step = 2; step <= 8; step += 2) {
            s.step = step;
            ckpts.save(new TrainCheckpoint(s, java.util.Map.of("w", w), java.util.Map.of(), java.util.Map.of("optimizer", "sgd"), 1, null));
        }
        assertEquals(List.of("step-2", "step-6", "step-8"), names(ckpts.dir()));
    }

    @Test
    void leftoversOfAnInterruptedSaveAreRemovedWhenTheFolderIsOpened() throws Exception {
        Path d = Files.createDirectories(dir.resolve("ckpts"));
        Files.createDirectories(d.resolve(".step-6.tmp-1f2e"));
        Files.writeString(d.resolve(".step-6.tmp-1f2e/weights.safetensors"), "half");
        Files.createDirectories(d.resolve(".step-2.deleting-ab"));
        new CheckpointDir(d, 2);
        assertEquals(List.of(), names(d));
    }

    @Test
    void aNanLossStopsTheRunWithTheLastGoodCheckpointIntact() throws Exception {
        CheckpointDir ckpts = new CheckpointDir(dir.resolve("ckpts"), 2);
        AtomicInteger calls = new AtomicInteger();
        assertThrows(NonFiniteLossException.class, () -> train(ckpts, 8, m -> {
            CausalLmObjective ce = new CausalLmObjective(m);
            return b -> {
                Objective.Loss l = ce.loss(b);
                if (calls.incrementAndGet() < 5) return l;
                return new Objective.Loss(Var.constant(Tensor.of(new float[] {Float.NaN}, 1)), l.count(), l.metrics()); // update 5
            };
        }));
        assertEquals(List.of("step-2", "step-4"), names(ckpts.dir()));
        List<String> warnings = new ArrayList<>();
        CheckpointDir.Loaded newest = ckpts.newest(warnings::add).orElseThrow();
        assertEquals(4, newest.checkpoint().state().step);
        assertFalse(newest.checkpoint().state().trainCurve.stream().anyMatch(p -> Double.isNaN(p[1])));
        assertEquals(List.of(), warnings);
    }
}
