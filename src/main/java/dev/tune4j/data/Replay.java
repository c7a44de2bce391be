package dev.tune4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Replay against catastrophic forgetting: general-domain examples mixed back into a fine-tuning
 * stream. With ratio r, the mixed list holds the n domain examples and round(n * r / (1 - r))
 * replay examples, so that r of it is replay; they are drawn without replacement in a seeded
 * shuffle of the replay source (cycling through it again only when it is too small).
 */
public final class Replay {
    private Replay() {}

    /** How many replay examples go with n domain examples at this ratio. */
    public static int count(int n, double ratio) {
        if (!(ratio >= 0 && ratio < 1)) throw new IllegalArgumentException("replay ratio must be in [0, 1), got " + ratio);
        return (int) Math.round(n * ratio / (1 - ratio));
    }

    /** The domain examples followed by the drawn replay examples (batch order is shuffled later). */
    public static <T> List<T> mix(List<T> domain, List<T> replay, double ratio, long seed) {
        int k = count(domain.size(), ratio);
        List<T> out = new ArrayList<>(domain);
        if (k == 0) return out;
        if (replay.isEmpty()) throw new IllegalArgumentException("replay: the replay data holds no usable examples");
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5EED_2E91A7L);
        int[] order = new int[replay.size()];
        for (int drawn = 0; drawn < k; drawn++) {
            int i = drawn % order.length;
            if (i == 0) shuffle(order, rng);
            out.add(replay.get(order[i]));
        }
        return out;
    }

    private static void shuffle(int[] a, SplittableRandom rng) {
        for (int i = 0; i < a.length; i++) a[i] = i;
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
