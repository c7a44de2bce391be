package dev.tune4j.nn;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.GeluOp;
import dev.tune4j.autograd.ops.SwiGluOp;

import java.util.SplittableRandom;

/** The feed-forward half of a block: up -> GELU -> down, or SwiGLU: down(silu(gate(x)) * up(x)). */
public final class Mlp extends Module {
    private final TransformerConfig.Mlp kind;
    private final GeluOp.Kind gelu;
    public final Linear gate; // SwiGLU only
    public final Linear up;
    public final Linear down;

    public Mlp(TransformerConfig c, SplittableRandom rng) {
        this.kind = c.mlp;
        this.gelu = c.gelu;
        float downStd = c.initStd / (float) Math.sqrt(2.0 * Math.max(1, c.layers));
        this.gate = kind == TransformerConfig.Mlp.SWIGLU ? child("gate", new Linear(c.hidden, c.intermediate, c.mlpBias, rng, c.initStd)) : null;
        this.up = child("up", new Linear(c.hidden, c.intermediate, c.mlpBias, rng, c.initStd));
        this.down = child("down", new Linear(c.intermediate, c.hidden, c.mlpBias, rng, downStd));
    }

    /** The activation overwrites the up projection when no tape records: nothing else reads it. */
    public Var forward(Var x) {
        Var h = kind == TransformerConfig.Mlp.SWIGLU
                ? SwiGluOp.applyInPlace(gate.forward(x), up.forward(x))
                : GeluOp.applyInPlace(up.forward(x), gelu);
        return down.forward(h);
    }
}
