package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Tape;

import java.lang.ref.WeakReference;
import java.util.SplittableRandom;

/**
 * The masks of one dropout site, counter-based: the seed of a mask is a hash of (the site's seed,
 * the key of the tape recording it, how many masks the site drew under that tape before), not the
 * next value of a stream advanced since the model was built. A trainer keys each micro-batch's tape
 * by its position in the run ({@link Tape#record(long)}), so a run resumed from a checkpoint draws
 * the very masks an uninterrupted run draws, with no random state to save; and the masks stay a
 * function of the position alone, the same for any thread count. Under an unkeyed tape, or none,
 * the draws continue one after another.
 */
public final class DropoutStream {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final long seed;
    private WeakReference<Tape> tape = new WeakReference<>(null); // weak: a finished step's tape is not kept alive
    private long keyedDraws, unkeyedDraws;

    public DropoutStream(long seed) {
        this.seed = seed;
    }

    /**
     * A site's stream from a model's init stream. It takes from {@code rng} exactly what
     * {@code rng.split()} takes, so every weight drawn from {@code rng} afterwards keeps its value.
     */
    public static DropoutStream split(SplittableRandom rng) {
        return new DropoutStream(rng.split().nextLong());
    }

    /** The seed of the site's next mask. */
    long next() {
        Tape t = Tape.current();
        if (t == null || !t.keyed()) return mix(seed, 0, unkeyedDraws++);
        if (t != tape.get()) {
            tape = new WeakReference<>(t);
            keyedDraws = 0;
        }
        return mix(seed ^ GOLDEN, t.key(), keyedDraws++);
    }

    static long mix(long seed, long key, long draw) {
        return mix64(mix64(mix64(seed + GOLDEN) ^ key) + GOLDEN * (draw + 1));
    }

    /** SplittableRandom's finaliser (Stafford's variant 13): every input bit moves about half the output bits. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
