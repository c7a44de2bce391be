package dev.tune4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reverse-mode autograd. While a tape is recording (see {@link #record()}), each op whose inputs
 * need a gradient pushes its hand-written backward step; {@link #backward(Var)} seeds the loss
 * gradient with 1 and runs the steps in reverse. With no tape recording (inference), ops record
 * nothing and keep no activations alive, and take their outputs from {@link Scratch}.
 *
 * <p>Usage: {@code try (Tape tape = Tape.record()) { Var loss = model.loss(batch); tape.backward(loss); }}
 */
public final class Tape implements AutoCloseable {

    /** One op's backward step: reads its output's gradient, accumulates into its inputs' gradients. */
    @FunctionalInterface
    public interface Backward {
        void run();
    }

    private static final ThreadLocal<Tape> CURRENT = new ThreadLocal<>();

    private final List<Backward> steps = new ArrayList<>();
    private final Tape previous;
    private final long key;
    private final boolean keyed;
    private boolean closed;

    private Tape(Tape previous, long key, boolean keyed) {
        this.previous = previous;
        this.key = key;
        this.keyed = keyed;
    }

    /** Starts recording on this thread until the returned tape is closed. */
    public static Tape record() {
        return start(new Tape(CURRENT.get(), 0, false));
    }

    /**
     * Starts a recording named by {@code key}, its position in a training run: ops that draw random
     * numbers under it (dropout, see {@link dev.tune4j.autograd.ops.DropoutStream}) derive them from
     * the key, so a recording with the same key draws the same numbers whatever came before it.
     */
    public static Tape record(long key) {
        return start(new Tape(CURRENT.get(), key, true));
    }

    private static Tape start(Tape t) {
        CURRENT.set(t);
        return t;
    }

    /** Whether this recording was started with a key ({@link #record(long)}). */
    public boolean keyed() { return keyed; }

    public long key() { return key; }

    /** The recording tape on this thread, or null in inference mode. */
    public static Tape current() {
        return CURRENT.get();
    }

    /** True when a tape is recording and at least one input needs a gradient. */
    public static boolean needsGrad(Var... inputs) {
        if (CURRENT.get() == null) return false;
        for (Var v : inputs) if (v != null && v.requiresGrad()) return true;
        return false;
    }

    /**
     * Output Var of an op: requires a gradient exactly when {@link #needsGrad} holds for its inputs.
     */
    public static Var output(dev.tune4j.tensor.Tensor value, Var... inputs) {
        return new Var(value, needsGrad(inputs));
    }

    /** Records a backward step on the current tape; a no-op in inference mode. */
    public static void push(Backward step) {
        Tape t = CURRENT.get();
        if (t != null) t.steps.add(step);
    }

    public int size() { return steps.size(); }

    /** Backpropagates from a scalar loss (gradient seeded with 1). */
    public void backward(Var loss) {
        backward(loss, 1f);
    }

    /**
     * Backpropagates {@code seed · loss}: the gradients of a weighted loss without an op for the
     * weight (a trainer turns a micro-batch's mean back into its sum this way).
     */
    public void backward(Var loss, float seed) {
        if (loss.value().numel() != 1) {
            throw new IllegalArgumentException("backward needs a scalar loss, got shape " + Arrays.toString(loss.shape()));
        }
        if (!loss.requiresGrad()) throw new IllegalStateException("loss does not depend on any trainable parameter");
        loss.gradForAccumulation()[0] += seed;
        backwardFromSeededGrads();
    }

    /** Backpropagates gradients already placed in outputs' grad buffers (for non-scalar seeds). */
    public void backwardFromSeededGrads() {
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).run();
            steps.set(i, null); // release activations as soon as they are consumed
        }
        steps.clear();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        steps.clear();
        if (CURRENT.get() == this) {
            if (previous == null) CURRENT.remove();
            else CURRENT.set(previous);
        }
    }
}
