package dev.tune4j.train;

import java.util.Iterator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Training micro-batches, epoch by epoch. An epoch's order is a pure function of the epoch number
 * (seeded inside the implementation), so a run can be continued from (epoch, position) alone.
 *
 * @param <B> the batch type
 */
public interface Batches<B> {

    /** Micro-batches per epoch, or -1 for an endless stream (then only the step limit ends a run). */
    int perEpoch();

    /** The micro-batches of epoch {@code epoch} (0-based), in training order. */
    Iterator<B> epoch(int epoch);

    /** Input tokens in a batch, for throughput figures (0 when not known). */
    default long tokens(B batch) {
        return 0;
    }

    /** The same list every epoch, in the given order. */
    static <B> Batches<B> fixed(List<B> batches, ToLongFunction<B> tokens) {
        if (batches.isEmpty()) throw new IllegalArgumentException("no training batches");
        return new Batches<>() {
            public int perEpoch() { return batches.size(); }

            public Iterator<B> epoch(int epoch) { return batches.iterator(); }

            public long tokens(B batch) { return tokens.applyAsLong(batch); }
        };
    }

    /** An endless stream, e.g. random windows of a text. */
    static <B> Batches<B> stream(Iterator<B> endless) {
        return new Batches<>() {
            public int perEpoch() { return -1; }

            public Iterator<B> epoch(int epoch) { return endless; }
        };
    }
}
