package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TokenLogProbsOpTest {

    @Test
    void eachRowIsTheLogSoftmaxOfItsTargetAndIgnoredRowsAreZero() {
        float[] z = {1, 2, 3, /* row 1 */ 0, 0, 0, /* row 2 (ignored) */ 5, 5, 5};
        Var y = TokenLogProbsOp.apply(Var.constant(Tensor.of(z, 3, 3)), new int[] {2, 0, -100}, -100);
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        assertEquals(3 - lse, y.data()[0], 1e-6);
        assertEquals(-Math.log(3), y.data()[1], 1e-6);
        assertEquals(0, y.data()[2]);
    }

    @Test
    void hugeLogitsStayFinite() {
        float[] z = {3e4f, 0, -3e4f};
        Var y = TokenLogProbsOp.apply(Var.constant(Tensor.of(z, 1, 3)), new int[] {1}, -100);
        assertEquals(-3e4, y.data()[0], 1e-2);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(3);
        Var logits = new Var(Tensor.uniform(rng, -2f, 2f, 5, 11), true);
        int[] targets = {4, -100, 0, 10, 7};
        GradCheck.check("TokenLogProbsOp", List.of(logits), in -> TokenLogProbsOp.apply(in.get(0), targets, -100));
    }

    @Test
    void aSeededRowGetsOnehotMinusSoftmax() {
        Var logits = new Var(Tensor.of(new float[] {0, 0}, 1, 2), true);
        try (Tape tape = Tape.record()) {
            Var y = TokenLogProbsOp.apply(logits, new int[] {1}, -100);
            y.gradForAccumulation()[0] = 2;
            tape.backwardFromSeededGrads();
        }
        assertEquals(-1, logits.grad().data()[0], 1e-6);  // 2 * (0 - 0.5)
        assertEquals(1, logits.grad().data()[1], 1e-6);   // 2 * (1 - 0.5)
    }
}
