package dev.tune4j.model;

import java.util.List;

/**
 * How one tensor of a Hugging Face checkpoint maps onto tune4j parameters.
 *
 * @param hfName  the tensor's name in the checkpoint
 * @param ours    the tune4j parameter names it fills (several when a fused tensor is split)
 * @param layout  how the checkpoint stores it relative to tune4j's layout
 */
public record WeightRule(String hfName, List<String> ours, Layout layout) {

    public enum Layout {
        /** Same shape and order. */
        SAME,
        /** A GPT-2 Conv1D weight [in, out]: tune4j's Linear stores [out, in]. */
        TRANSPOSED,
        /** A fused Conv1D weight [in, n*out] split into n Linear weights [out, in] (GPT-2 c_attn). */
        SPLIT_TRANSPOSED,
        /** A fused bias [n*out] split into n biases [out]. */
        SPLIT
    }

    /** The same tensor for a model that holds this rule's module as a child named {@code child} (e.g. "encoder"). */
    public WeightRule under(String child) {
        return new WeightRule(hfName, ours.stream().map(o -> child + "." + o).toList(), layout);
    }

    public static WeightRule same(String hf, String ours) {
        return new WeightRule(hf, List.of(ours), Layout.SAME);
    }

    public static WeightRule transposed(String hf, String ours) {
        return new WeightRule(hf, List.of(ours), Layout.TRANSPOSED);
    }
}
