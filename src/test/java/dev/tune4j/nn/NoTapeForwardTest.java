package dev.tune4j.nn;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.GeluOp;
import dev.tune4j.autograd.ops.RopeOp;
import dev.tune4j.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Transformer#hidden} is one forward: with a tape it records the backward and allocates
 * every output; without one it records nothing and takes its intermediate results from
 * {@link Scratch} buffers reused across blocks and calls. Both must give the same bits for every
 * block variant (post-norm BERT with padding, pre-norm GPT-2, Llama with RoPE, GQA and SwiGLU, on
 * sizes that are not multiples of the vector length), and reuse must never reach a value that is
 * still held.
 */
class NoTapeForwardTest {

    static TokenBatch batch(TransformerConfig c, int b, int t, boolean padded, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[b * t];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(c.vocabSize);
        int[][] mask = null;
        if (padded) {
            mask = new int[b][t];
            for (int r = 0; r < b; r++) for (int s = 0; s < t - 2 * r; s++) mask[r][s] = 1;
        }
        int[] types = c.typeVocabSize > 0 ? new int[b * t] : null;
        return new TokenBatch(ids, b, t, mask, types, null);
    }

    static float[] taped(Transformer m, TokenBatch in) {
        try (Tape tape = Tape.record()) {
            float[] y = m.hidden(in).data().clone();
            assertTrue(tape.size() > 0, "with a tape the backward is recorded");
            return y;
        }
    }

    static void assertSameBitsWithAndWithoutTape(TransformerConfig c, TokenBatch in) {
        Transformer m = new Transformer(c);
        m.train(false);
        float[] graph = taped(m, in);
        float[] first = m.hidden(in).data();
        float[] again = m.hidden(in).data();  // the scratch buffers now hold the first call's values
        assertArrayEquals(graph, first, "the forward without a tape differs from the taped one");
        assertArrayEquals(first, again, "second call without a tape differs");
    }

    static TransformerConfig bertLike() {
        TransformerConfig c = TransformerConfig.gpt2Like(97, 40, 2, 4, 32);
        c.preNorm = false; c.finalNorm = false; c.embeddingNorm = true; c.causal = false;
        c.gelu = GeluOp.Kind.ERF; c.typeVocabSize = 2; c.normEps = 1e-12f; c.intermediate = 70;
        return c;
    }

    @Test
    void postNormEncoderWithPaddingGivesTheTapedBits() {
        TransformerConfig c = bertLike();
        assertSameBitsWithAndWithoutTape(c, batch(c, 3, 13, true, 1));
    }

    @Test
    void preNormDecoderGivesTheTapedBits() {
        TransformerConfig c = TransformerConfig.gpt2Like(97, 40, 2, 4, 32);
        assertSameBitsWithAndWithoutTape(c, batch(c, 2, 11, false, 2));
    }

    @Test
    void llamaWithRopeGqaAndSwigluGivesTheTapedBits() {
        TransformerConfig c = TransformerConfig.llamaLike(97, 48, 2, 4, 2, 32);
        c.intermediate = 90;
        assertSameBitsWithAndWithoutTape(c, batch(c, 2, 9, true, 3));
        c.ropeLayout = RopeOp.Layout.INTERLEAVED;
        assertSameBitsWithAndWithoutTape(c, batch(c, 2, 9, false, 4));
    }

    @Test
    void outputsOfEarlierForwardsStayIntactWhileHeld() {
        // Same shapes, so every call draws on the same pooled buffers: a result handed out without
        // being kept would be overwritten by the next call.
        for (TransformerConfig c : new TransformerConfig[] {bertLike(), TransformerConfig.llamaLike(97, 48, 2, 4, 2, 32)}) {
            Transformer m = new Transformer(c);
            m.train(false);
            TokenBatch a = batch(c, 2, 9, true, 5), b = batch(c, 2, 9, true, 6);
            Var ha = m.hidden(a), hb = m.hidden(b), ha2 = m.hidden(a);
            assertArrayEquals(taped(m, a), ha.data(), "first result changed by later forwards");
            assertArrayEquals(taped(m, b), hb.data(), "second result changed by a later forward");
            assertNotSame(ha.data(), ha2.data(), "two held results share a buffer");
        }
    }

    @Test
    void resultKeptIntoTheCallersScopeLivesUntilThatScopeCloses() {
        TransformerConfig c = bertLike();
        Transformer m = new Transformer(c);
        m.train(false);
        TokenBatch a = batch(c, 3, 13, true, 7), b = batch(c, 3, 13, true, 8);
        try (Scratch outer = Scratch.open()) {
            Var ha = m.hidden(a);
            Var hb = m.hidden(b);
            assertArrayEquals(taped(m, a), ha.data(), "a result owned by the open scope was reused inside it");
            assertArrayEquals(taped(m, b), hb.data());
        }
    }

    @Test
    void twoThreadsGiveTheSameBitsAsOne() {
        TransformerConfig c = bertLike();
        TokenBatch in = batch(c, 4, 30, true, 5);
        Transformer m = new Transformer(c);
        m.train(false);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] one = m.hidden(in).data().clone();
            Parallel.setThreads(2);
            assertArrayEquals(one, m.hidden(in).data());
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void ropePositionsOutsideTheTableAreRefused() {
        TransformerConfig c = TransformerConfig.llamaLike(97, 48, 1, 4, 2, 8);
        Transformer m = new Transformer(c);
        m.train(false);
        TokenBatch in = new TokenBatch(new int[4], 1, 4, null, null, new int[] {0, 1, 2, 8});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.hidden(in));
        assertTrue(e.getMessage().contains("position 8"), e.getMessage());
    }
}
