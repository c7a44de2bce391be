package dev.tune4j.autograd;

import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The lifetime rule of {@link Scratch}: a buffer is reused only once no open scope owns it. */
class ScratchTest {

    private static Var scratchVar(int... shape) {
        return Var.constant(Scratch.allocate(shape));
    }

    @Test
    void aBufferIsReusedOnlyAfterItsScopeCloses() {
        java.util.Set<float[]> first = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        try (Scratch s = Scratch.open()) {
            first.add(scratchVar(3, 5).data());
            first.add(scratchVar(3, 5).data());
            assertEquals(2, first.size(), "a buffer was handed out twice within one scope");
        }
        try (Scratch s = Scratch.open()) {
            assertTrue(first.contains(scratchVar(3, 5).data()) && first.contains(scratchVar(3, 5).data()),
                    "released buffers were not reused");
        }
    }

    @Test
    void aKeptValueBelongsToTheEnclosingScopeUntilThatCloses() {
        float[] kept;
        try (Scratch outer = Scratch.open()) {
            try (Scratch inner = Scratch.open()) {
                kept = inner.keep(scratchVar(4, 4)).data();
            }
            try (Scratch next = Scratch.open()) {
                assertNotSame(kept, scratchVar(4, 4).data(), "a value kept into the open outer scope was reused");
            }
        }
        try (Scratch s = Scratch.open()) {
            float[] a = scratchVar(4, 4).data(), b = scratchVar(4, 4).data();
            assertTrue(a == kept || b == kept, "the outer scope did not release the value kept into it");
        }
    }

    @Test
    void aValueKeptFromTheOutermostScopeIsNeverReused() {
        float[] kept;
        try (Scratch s = Scratch.open()) {
            kept = s.keep(scratchVar(2, 7)).data();
        }
        for (int round = 0; round < 3; round++) {
            try (Scratch s = Scratch.open()) {
                assertNotSame(kept, scratchVar(2, 7).data(), "a value handed to the caller was reused");
            }
        }
    }

    @Test
    void underATapeOrOutsideAScopeOutputsAreFreshAndZeroed() {
        float[] released;
        try (Scratch s = Scratch.open()) {
            released = scratchVar(6).data();
            java.util.Arrays.fill(released, 9f);
        }
        try (Scratch s = Scratch.open(); Tape t = Tape.record()) {
            Tensor taped = Scratch.allocate(6);
            assertNotSame(released, taped.data(), "a taped output came from the pool");
            assertArrayEquals(new float[6], taped.data());
        }
        Tensor unscoped = Scratch.allocate(6);
        assertNotSame(released, unscoped.data(), "an output outside any scope came from the pool");
        assertArrayEquals(new float[6], unscoped.data());
    }

    @Test
    void onlyAScratchTemporaryOfTheInnermostScopeIsOverwrittenAndOnlyWithoutATape() {
        Var weight = Var.constant(Tensor.zeros(3, 4));
        try (Scratch outer = Scratch.open()) {
            Var outerValue = scratchVar(3, 4);
            try (Scratch inner = Scratch.open()) {
                Var temp = scratchVar(3, 4);
                assertSame(temp.value(), Scratch.overwrite(temp), "a temporary of the innermost scope was not reused in place");
                assertNotSame(outerValue.data(), Scratch.overwrite(outerValue).data(), "an enclosing scope's value was overwritten");
                assertNotSame(weight.data(), Scratch.overwrite(weight).data(), "a value from outside the scratch was overwritten");
                try (Tape t = Tape.record()) {
                    assertNotSame(temp.data(), Scratch.overwrite(temp).data(), "an input a backward may need was overwritten");
                }
            }
        }
        assertNotSame(weight.data(), Scratch.overwrite(weight).data(), "overwritten outside any scope");
    }

    @Test
    void scopesMustCloseInnermostFirst() {
        Scratch outer = Scratch.open();
        Scratch inner = Scratch.open();
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("innermost first"), e.getMessage());
        inner.close();
        outer.close();
        assertThrows(IllegalStateException.class, () -> outer.keep(Var.constant(Tensor.zeros(1))));
    }
}
