package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class EmbeddingOpTest {

    @Test
    void gathersRowsIntoThePrefixShape() {
        Var table = param(1, 1f, 10, 37);
        int[] ids = {3, 0, 9, 3, 5, 1};
        Var y = EmbeddingOp.apply(table, ids, 2, 3);
        assertArrayEquals(new int[] {2, 3, 37}, y.shape());
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < 37; j++) assertEquals(table.data()[ids[i] * 37 + j], y.data()[i * 37 + j]);
        }
        assertArrayEquals(new int[] {6, 37}, EmbeddingOp.apply(table, ids).shape());
    }

    @Test
    void readsAFrozenBf16MemorySegmentTableRowByRowAndGivesItNoGradient() {
        int vocab = 50, dim = 24;
        MemorySegment seg = Arena.ofAuto().allocate((long) vocab * dim * 2);
        SplittableRandom rng = new SplittableRandom(2);
        for (long i = 0; i < (long) vocab * dim; i++) seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, DType.f32ToBf16((float) rng.nextGaussian()));
        Parameter table = new Parameter("wte", Tensor.wrap(seg, DType.BF16, vocab, dim));
        table.setFrozen(true);
        int[] ids = {49, 0, 7};
        Var y;
        try (Tape t = Tape.record()) {
            y = EmbeddingOp.apply(table, ids);
            assertFalse(y.requiresGrad());
            assertEquals(0, t.size());
        }
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < dim; j++) {
                float want = DType.bf16ToF32(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, (long) ids[i] * dim + j));
                assertEquals(want, y.data()[i * dim + j]);
            }
        }
        assertNull(table.grad());
    }

    @Test
    void repeatedIdsAccumulateTheirGradientsAndPassGradCheck() {
        Var table = param(3, 1f, 7, 37);
        int[] ids = {2, 5, 2, 2, 0, 6};
        gradCheck("EmbeddingOp", List.of(table), in -> EmbeddingOp.apply(in.get(0), ids, 3, 2));
        Var one = param(4, 1f, 1, 1);
        gradCheck("EmbeddingOp", List.of(one), in -> EmbeddingOp.apply(in.get(0), new int[] {0, 0, 0}));
        // the scatter-add: row 2 receives the sum of the output gradients at positions 0, 2, 3
        table.clearGrad();
        List<float[]> r = forwardBackward(List.of(table), in -> EmbeddingOp.apply(in.get(0), ids));
        float[] w = Tensor.uniform(new SplittableRandom(99), -1f, 1f, 6, 37).data();
        for (int j = 0; j < 37; j++) {
            assertEquals((double) w[j] + w[2 * 37 + j] + w[3 * 37 + j], r.get(1)[2 * 37 + j], 1e-6);
            assertEquals(0f, r.get(1)[37 + j], "row 1 is never looked up");
        }
    }

    @Test
    void outOfRangeIdsNameTheIdPositionAndVocabularySize() {
        Var table = param(1, 1f, 100, 8);
        IllegalArgumentException e = assertShapeError(() -> EmbeddingOp.apply(table, new int[] {3, 100}), "EmbeddingOp", "100", "position 1", "vocabulary size 100");
        assertNotNull(e);
        assertShapeError(() -> EmbeddingOp.apply(table, new int[] {-1}), "EmbeddingOp", "-1", "vocabulary size 100");
        assertShapeError(() -> EmbeddingOp.apply(table, new int[] {1, 2, 3}, 2, 2), "EmbeddingOp", "[100, 8]", "[2, 2]");
        assertShapeError(() -> EmbeddingOp.apply(param(1, 1f, 100), new int[] {1}), "EmbeddingOp", "[100]");
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var table = param(5, 1f, 1000, 64);
        int[] ids = new SplittableRandom(6).ints(4096, 0, 1000).toArray(); // many repeats
        assertDeterministic(List.of(table), in -> EmbeddingOp.apply(in.get(0), ids, 64, 64));
    }
}
