package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.EmbeddingKernel;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.util.Arrays;

/**
 * Embedding lookup: out[prefix..., :] = table[ids[i], :] for a [vocab, dim] table, which may be a
 * frozen memory-mapped F16/BF16 tensor (rows are upcast as they are read). The backward
 * scatter-adds into the table's gradient deterministically.
 */
public final class EmbeddingOp {
    private EmbeddingOp() {}

    /**
     * @param outPrefixShape the output's leading dimensions (e.g. batch, seq), whose product must be
     *                       ids.length; empty means [ids.length]
     */
    public static Var apply(Var table, int[] ids, int... outPrefixShape) {
        int[] ts = table.shape();
        Shape.check(ts.length == 2, "EmbeddingOp", "table must be [vocab, dim]", ts);
        int vocab = ts[0], dim = ts[1];
        int[] prefix = outPrefixShape.length == 0 ? new int[] {ids.length} : outPrefixShape;
        Shape.check(Shape.numel(prefix) == ids.length, "EmbeddingOp",
                ids.length + " ids do not fill the output prefix shape", ts, prefix);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("EmbeddingOp: token id " + ids[i] + " at position " + i
                        + " is out of range for vocabulary size " + vocab + " (table shape " + Shape.str(ts) + ")");
            }
        }
        int[] outShape = Arrays.copyOf(prefix, prefix.length + 1);
        outShape[prefix.length] = dim;
        Tensor out = Scratch.allocate(outShape);
        EmbeddingKernel.gather(table.value().storage(), dim, ids, out.data());
        Var y = Tape.output(out, table);
        if (y.requiresGrad()) {
            int[] saved = ids.clone(); // the caller may reuse its id buffer before the backward
            Tape.push(() -> {
                if (y.grad() != null) EmbeddingKernel.scatterAdd(saved, y.grad().data(), table.gradForAccumulation(), vocab, dim);
            });
        }
        return y;
    }
}
