package dev.tune4j.oracle;

import org.bytedeco.pytorch.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights one oracle call reads, made into float64 torch leaves on first use, so that after
 * backward exactly the weights the computation touched report a gradient.
 */
final class Leaves {
    private final String who;
    private final Checkpoint ckpt;
    private final boolean grad;
    private final Map<String, Tensor> made = new LinkedHashMap<>();

    Leaves(String who, Checkpoint ckpt, boolean grad) {
        this.who = who;
        this.ckpt = ckpt;
        this.grad = grad;
    }

    /** The weight {@code name}, which must exist with shape {@code expected}. */
    Tensor get(String name, int... expected) {
        Tensor t = made.get(name);
        if (t != null) return t;
        if (!ckpt.has(name)) throw new IllegalArgumentException(who + ": checkpoint lacks weight " + name + " " + Arrays.toString(expected));
        int[] shape = ckpt.shape(name);
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(who + ": weight " + name + " has shape " + Arrays.toString(shape)
                    + ", expected " + Arrays.toString(expected));
        }
        t = Torch.of(ckpt.weight(name), shape);
        if (grad) t = t.set_requires_grad(true);
        made.put(name, t);
        return t;
    }

    /** Whether the checkpoint holds {@code name} (an optional tensor such as a LoRA weight). */
    boolean has(String name) {
        return ckpt.has(name);
    }

    /** Like {@link #get} when {@code present}, else null (optional biases). */
    Tensor get(boolean present, String name, int... expected) {
        return present ? get(name, expected) : null;
    }

    Map<String, float[]> grads() {
        Map<String, float[]> g = new LinkedHashMap<>();
        for (var e : made.entrySet()) {
            Tensor gr = e.getValue().grad();
            g.put(e.getKey(), gr.defined() ? Torch.toFloats(gr) : new float[Math.toIntExact(e.getValue().numel())]);
        }
        return g;
    }
}
