package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.EmbeddingOp;
import dev.tune4j.tensor.Tensor;

import java.util.SplittableRandom;

/** A lookup table [count, dim]; rows are gathered by id. */
public final class Embedding extends Module {
    public final int count, dim;
    public final Parameter weight;

    /** @param initStd the normal init's std; 0 gives zeros without drawing (weights about to be loaded) */
    public Embedding(int count, int dim, SplittableRandom rng, float initStd) {
        this.count = count;
        this.dim = dim;
        this.weight = param("weight", initStd == 0f ? Tensor.zeros(count, dim) : Tensor.randn(rng, initStd, count, dim));
    }

    /** ids laid out as prefixShape (e.g. [B, T]); returns [prefix..., dim]. */
    public Var forward(int[] ids, int... prefixShape) {
        return EmbeddingOp.apply(weight, ids, prefixShape);
    }
}
