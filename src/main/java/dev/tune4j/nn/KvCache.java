package dev.tune4j.nn;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.tensor.Tensor;


/**
 * The keys and values a decoder has already computed, so that a decode step feeds only its new
 * tokens through the very same {@link Transformer#hidden} / {@link Block#forward} /
 * {@link Attention#forward} code as training: the cache is state handed to that forward, not a
 * second forward.
 *
 * <p>One key and one value buffer per layer, [B, capacity, Hkv, Dh] (the layout the attention
 * kernel reads), of which the first {@link #length()} positions are filled. Each step's attention
 * sees the whole buffer through {@link AttentionMask#cached}: causal over the filled past and the
 * new positions, with each row's padding (prompts of a batch are left-padded) marked invalid.
 * Position ids count each row's real tokens, as Hugging Face's generate derives them from the
 * attention mask, so a left-padded row is positioned exactly as it would be alone.
 */
public final class KvCache {
    private final int batch, capacity, width;
    private final Tensor[] keys, values;
    private final int[][] valid;      // [B][capacity]: 1 for a filled real token
    private final int[] realTokens;   // per row: real tokens so far, the next position id
    private int length;

    public KvCache(TransformerConfig c, int batch, int capacity) {
        if (!c.causal) throw new IllegalArgumentException("KvCache: only a causal decoder can decode with a cache");
        if (batch < 1 || capacity < 1) throw new IllegalArgumentException("KvCache: batch and capacity must be >= 1");
        this.batch = batch;
        this.capacity = capacity;
        this.width = c.kvHeads * c.headDim();
        this.keys = new Tensor[c.layers];
        this.values = new Tensor[c.layers];
        for (int l = 0; l < c.layers; l++) {
            keys[l] = Tensor.zeros(batch, capacity, c.kvHeads, c.headDim());
            values[l] = Tensor.zeros(batch, capacity, c.kvHeads, c.headDim());
        }
        this.valid = new int[batch][capacity];
        this.realTokens = new int[batch];
    }

    public int length() { return length; }

    public int batch() { return batch; }

    /**
     * Starts a step of {@code t} new positions: records which are real tokens (mask [B][t], null =
     * all) and returns the step's attention mask. Called once per forward, before the layers.
     */
    AttentionMask beginStep(int t, int[][] newTokens) {
        if (Tape.current() != null) {
            throw new IllegalStateException("KvCache: decoding with a cache needs no gradient; run it without a tape");
        }
        if (length + t > capacity) {
            throw new IllegalArgumentException("KvCache: " + length + " cached + " + t + " new positions exceed its capacity of " + capacity);
        }
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) valid[b][length + i] = newTokens == null ? 1 : newTokens[b][i];
        }
        return AttentionMask.cached(length, valid);
    }

    /** Position ids [B*t] of the step's tokens: each row's count of real tokens before them. */
    int[] positions(int t, int[][] newTokens) {
        int[] p = new int[batch * t];
        for (int b = 0; b < batch; b++) {
            int n = realTokens[b];
            for (int i = 0; i < t; i++) {
                p[b * t + i] = n;
                if (newTokens == null || newTokens[b][i] != 0) n++;
            }
        }
        return p;
    }

    /** Ends a step of t positions: they become the past of the next one. */
    void endStep(int t, int[][] newTokens) {
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) if (newTokens == null || newTokens[b][i] != 0) realTokens[b]++;
        }
        length += t;
    }

    /** Layer l's view: where its attention appends the step's keys and values. */
    Layer layer(int l) {
        return new Layer(l);
    }

    /** One layer's buffers. */
    final class Layer {
        private final int index;

        private Layer(int index) { this.index = index; }

        /**
         * Copies the step's keys and values [B, t, Hkv, Dh] into positions [length, length + t)
         * and returns the whole buffers, the keys and values this step attends to.
         */
        Var[] append(Var k, Var v) {
            int t = k.dim(1);
            copy(k.value().toHeap().data(), keys[index].data(), t);
            copy(v.value().toHeap().data(), values[index].data(), t);
            return new Var[] {Var.constant(keys[index]), Var.constant(values[index])};
        }

        private void copy(float[] src, float[] dst, int t) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(src, b * t * width, dst, (b * capacity + length) * width, t * width);
            }
        }
    }
}
