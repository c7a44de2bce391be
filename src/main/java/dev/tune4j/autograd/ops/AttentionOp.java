package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.AttentionKernel;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * Fused scaled-dot-product attention: y = softmax(q·kᵀ·scale + mask)·v per head.
 *
 * <p>q [B, T, Hq, Dh], k and v [B, S, Hkv, Dh] (the layout of a linear projection reshaped, so no
 * transposes), output [B, T, Hq, Dh]. Hq must be a multiple of Hkv (grouped-query attention).
 * Between forward and backward only the per-row logsumexp (B·Hq·T floats) is kept besides the
 * inputs and output; the backward recomputes the probabilities.
 */
public final class AttentionOp {
    private static final String OP = "AttentionOp";

    private AttentionOp() {}

    /** Attention with the usual scale 1/sqrt(Dh). */
    public static Var apply(Var q, Var k, Var v, AttentionMask mask) {
        return apply(q, k, v, mask, (float) (1.0 / Math.sqrt(q.value().dim(-1))));
    }

    public static Var apply(Var q, Var k, Var v, AttentionMask mask, float scale) {
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        Shape.check(qs.length == 4 && ks.length == 4 && vs.length == 4, OP,
                "q must be [B, T, Hq, Dh] and k, v [B, S, Hkv, Dh]", qs, ks, vs);
        Shape.check(java.util.Arrays.equals(ks, vs), OP, "k and v shapes differ", ks, vs);
        Shape.check(qs[0] == ks[0], OP, "batch sizes of q and k differ", qs, ks);
        Shape.check(qs[3] == ks[3], OP, "head sizes of q and k differ", qs, ks);
        Shape.check(qs[2] > 0 && ks[2] > 0 && qs[3] > 0, OP, "head count and head size must be positive", qs, ks);
        Shape.check(qs[2] % ks[2] == 0, OP,
                "query heads (" + qs[2] + ") must be a multiple of kv heads (" + ks[2] + ")", qs, ks);
        if (!Float.isFinite(scale) || scale <= 0) {
            throw new IllegalArgumentException(OP + ": scale must be finite and positive, got " + scale);
        }
        AttentionMask m = mask == null ? AttentionMask.NONE : mask;
        m.checkShape(OP, qs[0], ks[1]);

        long t0 = Profile.start();
        AttentionKernel.Dims d = new AttentionKernel.Dims(qs[0], qs[1], ks[1], qs[2], ks[2], qs[3]);
        boolean training = Tape.needsGrad(q, k, v);
        float[] lse = training ? new float[d.batch() * d.queryHeads() * d.queries()] : null;
        Tensor out = Scratch.allocate(qs);
        AttentionKernel.forward(d, q.data(), k.data(), v.data(), m, scale, out.data(), lse);
        Profile.stop(Profile.Phase.ATTENTION, t0);

        Var y = Tape.output(out, q, k, v);
        if (y.requiresGrad()) Tape.push(Profile.timed(Profile.Phase.ATTENTION, () -> {
            if (y.grad() == null) return;
            AttentionKernel.backward(d, q.data(), k.data(), v.data(), m, scale, out.data(), lse, y.grad().data(),
                    q.requiresGrad() ? q.gradForAccumulation() : null,
                    k.requiresGrad() ? k.gradForAccumulation() : null,
                    v.requiresGrad() ? v.gradForAccumulation() : null);
        }));
        return y;
    }
}
