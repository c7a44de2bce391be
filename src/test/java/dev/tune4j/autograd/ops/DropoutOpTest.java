package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.tune4j.autograd.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class DropoutOpTest {

    @Test
    void isTheIdentityOutsideTrainingOrAtZeroAndThenDrawsNothing() {
        Var x = param(1, 1f, 4, 5);
        DropoutStream masks = new DropoutStream(7);
        assertSame(x, DropoutOp.apply(x, 0.5f, masks, false));
        assertSame(x, DropoutOp.apply(x, 0f, masks, true));
        assertEquals(new DropoutStream(7).next(), masks.next(), "nothing drawn");
    }

    @Test
    void dropsAboutPAndScalesTheRestByOneOverOneMinusP() {
        int n = 1_000_003;
        Var x = param(2, 1f, n);
        float p = 0.1f;
        float[] y = DropoutOp.apply(x, p, new DropoutStream(3), true).data();
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            if (y[i] == 0f) dropped++;
            else assertEquals(x.data()[i] * (1f / (1f - p)), y[i]);
        }
        // binomial std sqrt(n p (1-p)) = 300: 5 sigma
        assertEquals(p * n, dropped, 1500);
        float[] all = DropoutOp.apply(x, 1f, new DropoutStream(3), true).data();
        for (float v : all) assertEquals(0f, v);
        assertThrows(IllegalArgumentException.class, () -> DropoutOp.apply(x, 1.5f, new DropoutStream(3), true));
    }

    @Test
    void theMaskFollowsTheStreamAndTheBackwardReusesIt() {
        Var x = param(4, 1f, 3, 37);
        float[] a = DropoutOp.apply(x, 0.5f, new DropoutStream(11), true).data();
        float[] b = DropoutOp.apply(x, 0.5f, new DropoutStream(11), true).data();
        float[] c = DropoutOp.apply(x, 0.5f, new DropoutStream(12), true).data();
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
        x.clearGrad();
        try (Tape t = Tape.record()) {
            Var y = DropoutOp.apply(x, 0.5f, new DropoutStream(11), true);
            t.backward(SumOp.apply(y));
        }
        for (int i = 0; i < a.length; i++) assertEquals(a[i] == 0f ? 0f : 2f, x.grad().data()[i]);
        for (int[] shape : new int[][] {{1}, {37}, {3, 37}, {2, 5, 16}}) {
            Var v = param(5, 1f, shape);
            gradCheck("DropoutOp", List.of(v), in -> DropoutOp.apply(in.get(0), 0.3f, new DropoutStream(42), true));
        }
    }

    @Test
    void resultsAreBitwiseDeterministicAcrossRunsAndThreadCounts() {
        Var x = param(6, 1f, 300, 301);
        assertDeterministic(List.of(x), in -> DropoutOp.apply(in.get(0), 0.1f, new DropoutStream(5), true));
    }
}
