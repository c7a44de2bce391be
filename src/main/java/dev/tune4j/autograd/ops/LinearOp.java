package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Gemm;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.util.Arrays;

/**
 * {@code y = x·Wᵀ + b (+ z·Bᵀ)}: a fully connected layer in the PyTorch / Hugging Face layout,
 * optionally with a low-rank term fused in (a LoRA adapter's up projection).
 * x is [..., in] (leading dimensions flattened to rows), W is [out, in], b is [out] or null, and
 * y is [..., out]. W may be a segment-backed F32/F16/BF16 tensor (memory-mapped, frozen): the
 * GEMM reads it panel by panel while packing, so it is never copied whole. The low-rank term takes
 * z [..., r] (a LoRA adapter's scaled down projection) and B [out, r]: r more K steps of the same
 * GEMM, so the adapter costs no [..., out] buffer of its own, no pass to add it, and none to scale
 * its gradient.
 *
 * <p>Backward: dx += dy·W, dW += dyᵀ·x, db += column sums of dy, dz += dy·B, dB += dyᵀ·z; each
 * only for inputs that need a gradient (a frozen weight costs no dW work at all).
 */
public final class LinearOp {
    private LinearOp() {}

    public static Var apply(Var x, Var weight, Var bias) {
        return apply(x, weight, bias, null, null);
    }

    /** {@code x·Wᵀ + b + z·Bᵀ}; z and B are both null (no low-rank term) or both given. */
    public static Var apply(Var x, Var weight, Var bias, Var z, Var lowRankB) {
        int[] xs = x.shape(), ws = weight.shape();
        Shape.check(ws.length == 2, "LinearOp", "weight must be 2-D [out, in]", xs, ws);
        Shape.check(xs.length >= 1 && xs[xs.length - 1] == ws[1], "LinearOp", "input features differ from weight [out, in]", xs, ws);
        int in = ws[1], out = ws[0];
        if (bias != null) {
            int[] bs = bias.shape();
            Shape.check(bs.length == 1 && bs[0] == out, "LinearOp", "bias must be [out] for weight [out, in]", ws, bs);
        }
        int rows = (int) Shape.numel(Arrays.copyOf(xs, xs.length - 1));
        int r = 0;
        if ((z == null) != (lowRankB == null)) throw new IllegalArgumentException("LinearOp: the low-rank term needs both z and B");
        if (z != null) {
            int[] zs = z.shape(), bs = lowRankB.shape();
            Shape.check(bs.length == 2 && bs[0] == out, "LinearOp", "low-rank B must be [out, r] for weight [out, in]", ws, bs);
            r = bs[1];
            Shape.check(zs.length >= 1 && zs[zs.length - 1] == r && Shape.numel(zs) == (long) rows * r,
                    "LinearOp", "low-rank z must be [..., r] with the rows of x", zs, bs);
        }

        int[] ys = xs.clone();
        ys[ys.length - 1] = out;
        long t0 = Profile.start();
        Tensor y = Scratch.allocate(ys);
        float[] xd = heap(x.value()).data();
        float[] bd = bias == null ? null : heap(bias.value()).data();
        float[] zd = z == null ? null : heap(z.value()).data();
        if (z == null) {
            // y[rows, out] = x[rows, in] · W[out, in]ᵀ + b
            Gemm.gemm(rows, out, in, xd, 0, in, false, weight.value().storage(), 0, in, true, y.data(), 0, out, bd, 0, false);
        } else {
            // y[rows, out] = x[rows, in] · W[out, in]ᵀ + z[rows, r] · B[out, r]ᵀ + b: z·Bᵀ is one more K block of the same sweep
            Gemm.gemm(rows, out, in, xd, 0, in, weight.value().storage(), 0, in, true,
                    r, zd, 0, r, lowRankB.value().storage(), 0, r, true, y.data(), 0, out, bd, 0, false);
        }
        Profile.stop(Profile.Phase.GEMM, t0);

        Var result = z == null ? Tape.output(y, x, weight, bias) : Tape.output(y, x, weight, bias, z, lowRankB);
        if (result.requiresGrad()) {
            int n = rows, rank = r;
            Tape.push(Profile.timed(Profile.Phase.GEMM, () -> {
                if (result.grad() == null) return;
                float[] dy = result.grad().data();
                if (x.requiresGrad()) {
                    // dx[rows, in] += dy[rows, out] · W[out, in]
                    Gemm.gemm(n, in, out, dy, 0, out, false, weight.value().storage(), 0, in, false,
                            x.gradForAccumulation(), 0, in, null, 0, true);
                }
                if (weight.requiresGrad()) {
                    // dW[out, in] += dy[rows, out]ᵀ · x[rows, in]
                    Gemm.gemm(out, in, n, dy, 0, out, true, xd, 0, in, false,
                            weight.gradForAccumulation(), 0, in, null, 0, true);
                }
                if (bias != null && bias.requiresGrad()) {
                    float[] db = bias.gradForAccumulation();
                    for (int i = 0; i < n; i++) {
                        int o = i * out;
                        for (int j = 0; j < out; j++) db[j] += dy[o + j];
                    }
                }
                if (z != null && z.requiresGrad()) {
                    // dz[rows, r] += dy[rows, out] · B[out, r]
                    Gemm.gemm(n, rank, out, dy, 0, out, false, lowRankB.value().storage(), 0, rank, false,
                            z.gradForAccumulation(), 0, rank, null, 0, true);
                }
                if (z != null && lowRankB.requiresGrad()) {
                    // dB[out, r] += dy[rows, out]ᵀ · z[rows, r]
                    Gemm.gemm(out, rank, n, dy, 0, out, true, zd, 0, rank, false,
                            lowRankB.gradForAccumulation(), 0, rank, null, 0, true);
                }
            }));
        }
        return result;
    }

    /** Activations and biases are small: a segment-backed one is read into a heap copy. */
    static Tensor heap(Tensor t) {
        return t.isHeap() ? t : t.toHeap();
    }
}
