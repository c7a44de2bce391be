package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.DropoutOp;
import dev.tune4j.autograd.ops.DropoutStream;
import dev.tune4j.autograd.ops.LinearOp;
import dev.tune4j.autograd.ops.MatMulOp;
import dev.tune4j.autograd.ops.ScaleOp;
import dev.tune4j.kernel.Elementwise;
import dev.tune4j.tensor.Tensor;

import java.lang.ref.WeakReference;
import java.util.SplittableRandom;

/**
 * A LoRA adapter on one {@link Linear} (Hu et al. 2021, as Hugging Face PEFT computes it):
 * <pre>
 *   delta(x) = scale · B·(A·dropout(x))        A [r, in], B [out, r]
 *            = B·z,  z = scale·A·dropout(x)     (what the owner's fused GEMM takes)
 *   scale    = alpha / r,  or alpha / sqrt(r) with rsLoRA
 * </pre>
 * A starts Kaiming-uniform as torch's {@code kaiming_uniform_(a=sqrt(5))} (U(-1/sqrt(in), 1/sqrt(in)))
 * and B at zero, so a fresh adapter changes nothing. Dropout acts on the adapter's input only, in
 * training mode, from a mask stream of its own.
 *
 * <p>A Hugging Face module that the engine splits into several Linears (GPT-2's fused c_attn is
 * q, k and v here) has one A and one dropout in PEFT; its parts then share the <em>down</em>
 * projection A·dropout(x): computed once per input and tape, so the parts see one dropout mask and
 * A receives the sum of their gradients, exactly as for the fused layer.
 */
public final class LoraAdapter {
    private final Down down;
    /** B [out, r]: this Linear's rows of the up projection. */
    public final Parameter b;
    public final float scale;

    private LoraAdapter(Down down, Parameter b, float scale) {
        this.down = down;
        this.b = b;
        this.scale = scale;
    }

    /** A fresh adapter: A drawn Kaiming-uniform from {@code rng}, B zero, dropout masks seeded from {@code rng}. */
    static LoraAdapter create(Linear owner, int r, float scale, float dropout, SplittableRandom rng) {
        if (r < 1) throw new IllegalArgumentException("LoRA rank must be at least 1, got " + r);
        if (!(dropout >= 0f && dropout < 1f)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("LoRA scale must be finite, got " + scale);
        float bound = (float) (1.0 / Math.sqrt(owner.in));
        Parameter a = owner.registerAdapterParam("lora_A", Tensor.uniform(rng, -bound, bound, r, owner.in));
        Parameter b = owner.registerAdapterParam("lora_B", Tensor.zeros(owner.out, r));
        return new LoraAdapter(new Down(a, dropout, scale, DropoutStream.split(rng)), b, scale);
    }

    /** An adapter reading {@code first}'s A (and dropout, and scale), with a zero B of its own. */
    static LoraAdapter sharingA(Linear owner, LoraAdapter first) {
        if (owner.in != first.a().dim(1)) {
            throw new IllegalArgumentException("cannot share lora_A " + java.util.Arrays.toString(first.a().shape())
                    + " with a Linear of " + owner.in + " inputs");
        }
        first.down.shared = true;
        Parameter b = owner.registerAdapterParam("lora_B", Tensor.zeros(owner.out, first.rank()));
        return new LoraAdapter(first.down, b, first.scale);
    }

    /** A [r, in]: the down projection, possibly shared with the other parts of one fused module. */
    public Parameter a() { return down.a; }

    public int rank() { return down.a.dim(0); }

    public float dropout() { return down.p; }

    /** Whether A is shared with other Linears (the parts of one fused Hugging Face module). */
    public boolean sharesA() { return down.shared; }

    /**
     * The adapter's term of the owner's output is z·Bᵀ with z = scale·A·dropout(x) [..., r], the
     * scale applied to the narrow z rather than to the [..., out] product; the owner fuses z·Bᵀ into
     * its own GEMM ({@link LinearOp}). Dropout only when {@code training}.
     */
    Var down(Var x, boolean training) {
        return down.apply(x, training);
    }

    /** scale · B·A [out, in], computed as PEFT does ((B·A) · scale), recording nothing. */
    Tensor deltaWeight() {
        Tensor ba = MatMulOp.apply(Var.constant(b.value()), Var.constant(down.a.value()), false, false).value();
        float[] d = ba.data();
        Elementwise.scale(d, scale, d, d.length);
        return ba;
    }

    /** scale·A·dropout(x), remembered for the input and tape it was last computed for when A is shared. */
    private static final class Down {
        final Parameter a;
        final float p, scale;
        final DropoutStream masks;
        boolean shared;
        // Weak, so a finished step's input and tape are not kept alive by the cache.
        private WeakReference<Var> lastInput = new WeakReference<>(null);
        private WeakReference<Tape> lastTape = new WeakReference<>(null);
        private boolean lastTraining;
        private Var lastOutput;

        Down(Parameter a, float p, float scale, DropoutStream masks) {
            this.a = a;
            this.p = p;
            this.scale = scale;
            this.masks = masks;
        }

        Var apply(Var x, boolean training) {
            Tape tape = Tape.current();
            // Only under a tape: there A cannot change between the parts' calls (the optimizer steps after backward).
            boolean cache = shared && tape != null;
            if (cache && lastInput.get() == x && lastTape.get() == tape && lastTraining == training) return lastOutput;
            Var z = ScaleOp.apply(LinearOp.apply(DropoutOp.apply(x, p, masks, training), a, null), scale);
            if (cache) {
                lastInput = new WeakReference<>(x);
                lastTape = new WeakReference<>(tape);
                lastTraining = training;
                lastOutput = z;
            }
            return z;
        }
    }
}
