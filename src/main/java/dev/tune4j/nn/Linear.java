package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.LinearOp;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * y = x·Wᵀ + b with W stored [out, in], as in PyTorch and Hugging Face checkpoints, plus an
 * optional {@link LoraAdapter}: y = x·Wᵀ + b + scale·B·A·dropout(x) while the adapter is attached,
 * enabled and not merged into W. Its parameters sit beside the weight: {@code lora_A}, {@code lora_B}.
 */
public final class Linear extends Module {
    public final int in, out;
    public final Parameter weight;
    public final Parameter bias; // null when the layer has none
    private LoraAdapter adapter;
    private boolean adapterEnabled = true;
    private Tensor unmergedWeight; // the original W while the adapter is merged into the weight

    /** @param initStd the normal init's std; 0 gives zeros without drawing (weights about to be loaded) */
    public Linear(int in, int out, boolean bias, SplittableRandom rng, float initStd) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", initStd == 0f ? Tensor.zeros(out, in) : Tensor.randn(rng, initStd, out, in));
        this.bias = bias ? param("bias", Tensor.zeros(out)) : null;
    }

    public Var forward(Var x) {
        if (!adapterActive()) return LinearOp.apply(x, weight, bias);
        return LinearOp.apply(x, weight, bias, adapter.down(x, isTraining()), adapter.b);
    }

    /**
     * Attaches a LoRA adapter of rank r: A [r, in] Kaiming-uniform from {@code rng}, B [out, r]
     * zero, registered as {@code lora_A} and {@code lora_B}.
     */
    public LoraAdapter addAdapter(int r, float scale, float dropout, SplittableRandom rng) {
        requireNoAdapter();
        adapter = LoraAdapter.create(this, r, scale, dropout, rng);
        return adapter;
    }

    /**
     * Attaches an adapter that shares {@code first}'s A, dropout and scale and has a zero B of its
     * own (registered as {@code lora_B} only): this Linear is a part of the same fused Hugging Face
     * module as {@code first}'s (GPT-2's c_attn split into q, k, v).
     */
    public LoraAdapter addAdapterSharingA(LoraAdapter first) {
        requireNoAdapter();
        adapter = LoraAdapter.sharingA(this, first);
        return adapter;
    }

    Parameter registerAdapterParam(String name, Tensor init) {
        return param(name, init);
    }

    private void requireNoAdapter() {
        if (adapter != null) throw new IllegalStateException(path() + " already has a LoRA adapter");
    }

    /** The attached adapter, or null. */
    public LoraAdapter adapter() { return adapter; }

    public boolean adapterEnabled() { return adapterEnabled; }

    /** Disabling gives the base layer's output (e.g. for a reference model); a merged adapter is unmerged first. */
    public void setAdapterEnabled(boolean enabled) {
        if (!enabled && adapterMerged()) unmergeAdapter();
        adapterEnabled = enabled;
    }

    public boolean adapterMerged() { return unmergedWeight != null; }

    /**
     * W := W + scale·B·A, into a new heap float32 tensor (the base may be memory-mapped F32, BF16
     * or F16); the adapter is then skipped in forward. The original tensor is kept for
     * {@link #unmergeAdapter}, so the base weight must be frozen: updates made to a merged
     * trainable weight would be lost on unmerge.
     */
    public void mergeAdapter() {
        if (adapter == null) throw new IllegalStateException(path() + " has no LoRA adapter to merge");
        if (adapterMerged()) throw new IllegalStateException(path() + ": the LoRA adapter is already merged");
        if (!weight.frozen()) throw new IllegalStateException(path() + ": merging needs a frozen base weight (unmerge restores the original tensor)");
        Tensor original = weight.value();
        Tensor merged = original.copy();
        float[] w = merged.data();
        Elementwise.add(w, adapter.deltaWeight().data(), w, w.length);
        weight.setValue(merged);
        unmergedWeight = original;
    }

    /** Puts the original weight tensor back: the very object (and bits) held before {@link #mergeAdapter}. */
    public void unmergeAdapter() {
        if (!adapterMerged()) throw new IllegalStateException(path() + ": no merged LoRA adapter to unmerge");
        weight.setValue(unmergedWeight);
        unmergedWeight = null;
    }

    private boolean adapterActive() {
        return adapter != null && adapterEnabled && unmergedWeight == null;
    }
}
