package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;

import java.util.List;

/**
 * Gradient accumulation over micro-batches. The tape adds each backward's gradients into the
 * parameters' buffers, so running backward on N micro-batches without zeroing sums their
 * gradients; {@link #finish} then divides the sum by the number of micro-batches accumulated. This
 * is the gradients (not the loss) being scaled by 1/N: with each micro-batch loss a mean over its
 * own examples and equal micro-batch sizes, the result equals the gradient of the mean loss over
 * the whole batch. (Unequal micro-batches would need each loss weighted by its share of examples.)
 *
 * <pre>
 *   for each micro-batch: backward(loss);
 *       if (acc.record()) { acc.finish(params); clip; schedule.apply(opt); opt.step(); opt.zeroGrad(); }
 *   at the end of the data: if (acc.pending() > 0) { acc.finish(params); ... step ... }
 * </pre>
 */
public final class GradAccumulation {
    private final int microBatches;
    private int pending;

    public GradAccumulation(int microBatches) {
        if (microBatches < 1) throw new IllegalArgumentException("gradient accumulation steps must be >= 1, got " + microBatches);
        this.microBatches = microBatches;
    }

    public int microBatches() { return microBatches; }

    /** Micro-batches whose gradients have been accumulated since the last {@link #finish}. */
    public int pending() { return pending; }

    /** Records one micro-batch's backward; true when it completes a window of {@link #microBatches()}. */
    public boolean record() {
        pending++;
        return pending >= microBatches;
    }

    /**
     * Turns the summed gradients into their mean (divides by {@link #pending()}, which is less
     * than {@link #microBatches()} for a partial window at the end of the data) and starts a new
     * window. Returns the number of micro-batches averaged.
     */
    public int finish(List<Parameter> params) {
        if (pending == 0) throw new IllegalStateException("GradAccumulation.finish: no micro-batch was recorded since the last finish");
        int n = pending;
        if (n > 1) GradClip.scaleGrads(params, 1.0 / n);
        pending = 0;
        return n;
    }
}
