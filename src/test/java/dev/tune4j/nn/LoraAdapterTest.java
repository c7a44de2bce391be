package dev.tune4j.nn;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.SumOp;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The LoRA adapter slot of {@link Linear}: init, forward, gradients, dropout, disabling, merging. */
class LoraAdapterTest {
    private final SplittableRandom rng = new SplittableRandom(5);

    private Linear frozenLinear(int in, int out) {
        Linear l = new Linear(in, out, true, rng, 0.5f);
        l.bias.setValue(Tensor.randn(rng, 0.3f, out));
        l.weight.setFrozen(true);
        l.bias.setFrozen(true);
        return l;
    }

    /** Random A and B, so the update is not zero. */
    private void randomise(LoraAdapter a) {
        a.a().setValue(Tensor.randn(rng, 0.5f, a.a().shape()));
        a.b.setValue(Tensor.randn(rng, 0.5f, a.b.shape()));
    }

    @Test
    void aFreshAdapterHasKaimingUniformAAndZeroBAndLeavesTheOutputBitIdentical() {
        Linear l = frozenLinear(50, 7);
        Var x = Var.constant(Tensor.randn(rng, 1f, 3, 4, 50));
        float[] base = l.forward(x).data().clone();
        LoraAdapter a = l.addAdapter(4, 2f, 0f, new SplittableRandom(1));
        assertArrayEquals(new int[] {4, 50}, a.a().shape());
        assertArrayEquals(new int[] {7, 4}, a.b.shape());
        float bound = (float) (1 / Math.sqrt(50)), max = 0;
        for (float v : a.a().data()) {
            assertTrue(Math.abs(v) <= bound, "A within +-1/sqrt(in): " + v);
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max > 0.9f * bound, "A spans the Kaiming bound, max " + max);
        for (float v : a.b.data()) assertEquals(0f, v);
        assertArrayEquals(base, l.forward(x).data(), "B = 0: exactly the base output");
    }

    @Test
    void forwardIsTheBasePlusScaledLowRankUpdate() {
        int in = 9, out = 6, r = 3, rows = 5;
        Linear l = frozenLinear(in, out);
        LoraAdapter a = l.addAdapter(r, 0.75f, 0f, rng);
        randomise(a);
        float[] x = Tensor.randn(rng, 1f, rows, in).data();
        float[] y = l.forward(Var.constant(Tensor.of(x, rows, in))).data();
        float[] w = l.weight.data(), b = l.bias.data(), av = a.a().data(), bv = a.b.data();
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int k = 0; k < in; k++) s += (double) x[i * in + k] * w[o * in + k];
                double update = 0;
                for (int j = 0; j < r; j++) {
                    double ax = 0;
                    for (int k = 0; k < in; k++) ax += (double) av[j * in + k] * x[i * in + k];
                    update += bv[o * r + j] * ax;
                }
                assertEquals(s + 0.75 * update, y[i * out + o], 1e-5, "row " + i + " out " + o);
            }
        }
    }

    @Test
    void gradientsOfAAndBAndTheInputMatchFiniteDifferencesAndTheFrozenBaseGetsNone() {
        Linear l = frozenLinear(11, 7);
        LoraAdapter a = l.addAdapter(3, 1.5f, 0f, rng);
        randomise(a);
        Var x = GradCheck.param(rng, 1f, 4, 11);
        GradCheck.check("Linear+LoRA", List.of(x, a.a(), a.b), v -> l.forward(v.get(0)));
        assertNull(l.weight.grad(), "a frozen base weight gets no gradient");
        assertNull(l.bias.grad());
    }

    @Test
    void dropoutActsOnTheAdapterInputInTrainingOnly() {
        Linear l = frozenLinear(40, 8);
        LoraAdapter a = l.addAdapter(4, 1f, 0.5f, rng);
        randomise(a);
        Var x = Var.constant(Tensor.randn(rng, 1f, 6, 40));
        l.train(false);
        float[] eval = l.forward(x).data();
        Linear same = frozenLinear(40, 8);
        same.weight.setValue(l.weight.value());
        same.bias.setValue(l.bias.value());
        LoraAdapter noDrop = same.addAdapter(4, 1f, 0f, rng);
        noDrop.a().setValue(a.a().value());
        noDrop.b.setValue(a.b.value());
        same.train(false);
        assertArrayEquals(same.forward(x).data(), eval, "evaluation ignores dropout");
        l.train(true);
        float[] train1 = l.forward(x).data(), train2 = l.forward(x).data();
        assertFalse(java.util.Arrays.equals(eval, train1), "training drops adapter inputs");
        assertFalse(java.util.Arrays.equals(train1, train2), "a new mask per call");
    }

    @Test
    void partsSharingAUseOneDropoutMaskAndSumTheirGradientsIntoA() {
        // q and k as two parts of one fused module: equal B's must give equal updates, mask included.
        Linear q = frozenLinear(30, 5), k = frozenLinear(30, 5);
        k.weight.setValue(q.weight.value());
        k.bias.setValue(q.bias.value());
        LoraAdapter aq = q.addAdapter(2, 1f, 0.5f, rng);
        LoraAdapter ak = k.addAdapterSharingA(aq);
        assertSame(aq.a(), ak.a());
        assertTrue(aq.sharesA() && ak.sharesA());
        randomise(aq);
        ak.b.setValue(aq.b.value().copy());
        Var x = new Var(Tensor.randn(rng, 1f, 4, 30), true);
        try (Tape tape = Tape.record()) {
            assertArrayEquals(q.forward(x).data(), k.forward(x).data(), "one dropout mask for both parts");
        }
        // Without dropout (evaluation mode) the passes are deterministic: through q and k together
        // (equal B's) A's gradient is twice that through q alone.
        q.train(false);
        k.train(false);
        try (Tape tape = Tape.record()) {
            tape.backward(SumOp.apply(q.forward(x)));
        }
        float[] onlyQ = aq.a().grad().data().clone();
        aq.a().clearGrad();
        try (Tape tape = Tape.record()) {
            tape.backward(SumOp.apply(dev.tune4j.autograd.ops.AddOp.apply(q.forward(x), k.forward(x))));
        }
        float[] both = aq.a().grad().data();
        for (int i = 0; i < both.length; i++) assertEquals(2 * onlyQ[i], both[i], 1e-6 * (1 + Math.abs(both[i])));
    }

    @Test
    void aDisabledAdapterGivesTheBaseOutput() {
        Linear l = frozenLinear(10, 4);
        Var x = Var.constant(Tensor.randn(rng, 1f, 3, 10));
        float[] base = l.forward(x).data();
        randomise(l.addAdapter(2, 1f, 0f, rng));
        float[] adapted = l.forward(x).data();
        assertFalse(java.util.Arrays.equals(base, adapted));
        l.setAdapterEnabled(false);
        assertArrayEquals(base, l.forward(x).data());
        l.setAdapterEnabled(true);
        assertArrayEquals(adapted, l.forward(x).data());
    }

    @Test
    void mergingABf16MappedWeightMatchesTheAdapterAndUnmergeRestoresTheOriginalTensor() {
        int in = 24, out = 10;
        MemorySegment seg = Arena.ofAuto().allocate(2L * out * in);
        for (int i = 0; i < out * in; i++) {
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, DType.f32ToBf16((float) rng.nextDouble() - 0.5f));
        }
        Linear l = frozenLinear(in, out);
        Tensor mapped = Tensor.wrap(seg, DType.BF16, out, in);
        l.weight.setValue(mapped);
        randomise(l.addAdapter(4, 0.5f, 0f, rng));
        Var x = Var.constant(Tensor.randn(rng, 1f, 7, in));
        float[] unmerged = l.forward(x).data();

        l.mergeAdapter();
        assertTrue(l.adapterMerged());
        assertTrue(l.weight.value().isHeap() && l.weight.value().dtype() == DType.F32, "merged weight is a heap float32 copy");
        assertArrayEquals(unmerged, l.forward(x).data(), 1e-5f, "merged forward equals base + adapter");
        assertThrows(IllegalStateException.class, l::mergeAdapter);

        l.unmergeAdapter();
        assertSame(mapped, l.weight.value(), "unmerge puts back the very tensor that was there");
        assertArrayEquals(unmerged, l.forward(x).data(), "and the adapter is added again, bit for bit");
    }

    @Test
    void unmergeRestoresAHeapWeightBitForBitAndDisablingUnmerges() {
        Linear l = frozenLinear(8, 5);
        Tensor original = l.weight.value();
        float[] bits = original.data().clone();
        randomise(l.addAdapter(2, 3f, 0f, rng));
        l.mergeAdapter();
        assertNotSame(original, l.weight.value());
        assertArrayEquals(bits, original.data(), "merging leaves the original untouched");
        l.setAdapterEnabled(false);
        assertFalse(l.adapterMerged(), "disabling a merged adapter unmerges it, as PEFT does");
        assertSame(original, l.weight.value());
        assertArrayEquals(bits, l.weight.data());
    }

    @Test
    void mergingRefusesATrainableBaseWeight() {
        Linear l = new Linear(6, 3, false, rng, 0.5f);
        l.addAdapter(2, 1f, 0f, rng);
        IllegalStateException e = assertThrows(IllegalStateException.class, l::mergeAdapter);
        assertTrue(e.getMessage().contains("frozen"), e.getMessage());
    }

    @Test
    void rsLoraScalesByAlphaOverSqrtR() {
        assertEquals(16f / 8, LoraConfig.of(8, 16).scale());
        assertEquals((float) (16 / Math.sqrt(8)), LoraConfig.of(8, 16).withRslora(true).scale());
    }

    @Test
    void aLinearTakesOneAdapterOnly() {
        Linear l = frozenLinear(4, 4);
        l.addAdapter(2, 1f, 0f, rng);
        assertThrows(IllegalStateException.class, () -> l.addAdapter(2, 1f, 0f, rng));
    }
}
