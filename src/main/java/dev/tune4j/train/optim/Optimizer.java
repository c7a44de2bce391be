package dev.tune4j.train.optim;

import dev.tune4j.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Updates parameters in place from their gradients. Parameters that are frozen or have no
 * gradient are skipped (their state does not advance), as torch skips {@code p.grad is None}.
 *
 * <p>Checkpointing: {@link #stateTensors()} and {@link #stateScalars()} are everything needed to
 * resume bit-exactly with {@link #loadState}. Tensors are named {@code <state>.<parameter name>}
 * (e.g. {@code exp_avg.encoder.layer.0.attention.self.query.weight}); scalars are Integer, Double,
 * Boolean or String values, and {@link #loadState} also accepts them as Strings (as they come back
 * from safetensors metadata; Java's shortest-repr doubles round-trip exactly).
 */
public interface Optimizer {

    /** One update with each group's current {@link ParamGroup#lr()}; increments {@link #stepCount()}. */
    void step();

    /** Zero-fills the gradients (keeping the buffers, so no model-sized allocation per step). */
    void zeroGrad();

    List<ParamGroup> groups();

    /** Number of {@link #step()} calls so far (restored by {@link #loadState}). */
    int stepCount();

    /** Live per-parameter state (not copies: write them out before the next step). */
    Map<String, Tensor> stateTensors();

    Map<String, Object> stateScalars();

    /**
     * Replaces the whole state (step counts, per-parameter buffers, group hyperparameters) with a
     * checkpoint's; validates everything first and changes nothing when the checkpoint does not fit.
     */
    void loadState(Map<String, Tensor> tensors, Map<String, Object> scalars);
}
