package dev.tune4j.oracle;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import static dev.tune4j.oracle.Torch.s;

/**
 * The oracle's building blocks, written out from their definitions in plain torch ops (no fused
 * norm, attention, activation or loss kernels), so the self-tests can hold each against torch's own
 * fused version. Tensors are float64; attention tensors are [batch, heads, time, headDim].
 */
final class Ops {
    private Ops() {}

    /** Added to attention scores of hidden keys: float32's lowest value, as Hugging Face uses. */
    static final double MASKED = -3.4028234663852886e38;

    /** torch.nn.Linear: x [..., in] times w [out, in] transposed, plus b [out]. */
    static Tensor linear(Tensor x, Tensor w, Tensor b) {
        Tensor y = x.matmul(w.t());
        return b == null ? y : y.add(b);
    }

    /** GPT-2's Conv1D: the weight is stored [in, out], so x [..., in] times w directly, plus b [out]. */
    static Tensor conv1d(Tensor x, Tensor w, Tensor b) {
        return x.matmul(w).add(b);
    }

    /** w * x / sqrt(mean(x^2) + eps) over the last dimension. */
    static Tensor rmsNorm(Tensor x, Tensor w, double eps) {
        Tensor meanSquare = Torch.mean(x.mul(x), -1, true);
        return x.mul(meanSquare.add(s(eps)).rsqrt()).mul(w);
    }

    /** (x - mean) / sqrt(biased variance + eps) * w + b over the last dimension. */
    static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        Tensor centred = x.sub(Torch.mean(x, -1, true));
        Tensor var = Torch.mean(centred.mul(centred), -1, true);
        return centred.mul(var.add(s(eps)).rsqrt()).mul(w).add(b);
    }

    static Tensor silu(Tensor x) {
        return x.mul(torch.sigmoid(x));
    }

    /** GELU with the tanh approximation (HF "gelu_new" / "gelu_pytorch_tanh"). */
    static Tensor geluTanh(Tensor x) {
        Tensor inner = x.add(x.mul(x).mul(x).mul(s(0.044715))).mul(s(Math.sqrt(2 / Math.PI)));
        return x.mul(s(0.5)).mul(inner.tanh().add(s(1)));
    }

    /** Exact GELU, x * Phi(x) (HF "gelu"). */
    static Tensor geluErf(Tensor x) {
        return x.mul(s(0.5)).mul(x.mul(s(1 / Math.sqrt(2))).erf().add(s(1)));
    }

    static Tensor activation(String who, String name, Tensor x) {
        return switch (name) {
            case "gelu" -> geluErf(x);
            case "gelu_new", "gelu_pytorch_tanh" -> geluTanh(x);
            case "silu", "swish" -> silu(x);
            case "relu" -> x.clamp_min(s(0));
            default -> throw new IllegalArgumentException(who + ": unsupported activation " + name);
        };
    }

    /** [B, T, heads*hd] -> [B, heads, T, hd]. */
    static Tensor splitHeads(Tensor x, int heads, int hd) {
        long[] s = x.shape();
        return x.reshape(s[0], s[1], heads, hd).transpose(1, 2);
    }

    /** [B, heads, T, hd] -> [B, T, heads*hd]. */
    static Tensor mergeHeads(Tensor x) {
        long[] s = x.shape();
        return x.transpose(1, 2).reshape(s[0], s[2], s[1] * s[3]);
    }

    /** [B, kvHeads, T, hd] -> [B, kvHeads*rep, T, hd], where query head h reads key/value head h / rep. */
    static Tensor repeatKv(Tensor x, int rep) {
        if (rep == 1) return x;
        long[] s = x.shape();
        return x.unsqueeze(2).expand(s[0], s[1], rep, s[2], s[3]).reshape(s[0], s[1] * rep, s[2], s[3]);
    }

    /**
     * softmax(q kᵀ * scale + mask) v. q [B, H, T, hd]; k, v [B, Hkv, S, hd] with H a multiple of Hkv
     * (grouped-query attention); mask additive, broadcastable to [B, H, T, S], or null.
     */
    static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        long heads = q.size(1), kvHeads = k.size(1);
        if (heads % kvHeads != 0) throw new IllegalArgumentException("oracle attention: " + heads + " query heads over " + kvHeads + " kv heads");
        int rep = Math.toIntExact(heads / kvHeads);
        Tensor scores = q.matmul(repeatKv(k, rep).transpose(2, 3)).mul(s(scale));
        if (mask != null) scores = scores.add(mask);
        return scores.softmax(3).matmul(repeatKv(v, rep));
    }

    /**
     * Additive [T, T] mask: query i sees key j iff j <= i and, with a sliding window w > 0,
     * i - j < w (Mistral's convention).
     */
    static Tensor causalMask(int t, int window) {
        double[] m = new double[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                boolean visible = j <= i && (window <= 0 || i - j < window);
                m[i * t + j] = visible ? 0 : MASKED;
            }
        }
        return Torch.ofDoubles(m, t, t);
    }

    /** Additive [B, 1, 1, T] mask hiding keys whose attention_mask entry is 0. */
    static Tensor paddingMask(int[][] attentionMask) {
        int b = attentionMask.length, t = attentionMask[0].length;
        double[] m = new double[b * t];
        for (int r = 0; r < b; r++) {
            if (attentionMask[r].length != t) throw new IllegalArgumentException("oracle: attention_mask is ragged");
            for (int c = 0; c < t; c++) {
                int v = attentionMask[r][c];
                if (v != 0 && v != 1) throw new IllegalArgumentException("oracle: attention_mask entries must be 0 or 1, got " + v);
                m[r * t + c] = v == 1 ? 0 : MASKED;
            }
        }
        return Torch.ofDoubles(m, b, 1, 1, t);
    }

    /** cos and sin tables [T, hd] for positions 0..T-1, each frequency repeated in both halves. */
    static Tensor[] ropeTables(double[] invFreq, int t) {
        int half = invFreq.length, hd = 2 * half;
        double[] cos = new double[t * hd], sin = new double[t * hd];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                cos[p * hd + i] = cos[p * hd + i + half] = Math.cos(angle);
                sin[p * hd + i] = sin[p * hd + i + half] = Math.sin(angle);
            }
        }
        return new Tensor[]{Torch.ofDoubles(cos, t, hd), Torch.ofDoubles(sin, t, hd)};
    }

    /** x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1] for the halves x1, x2 of the head. */
    static Tensor applyRope(Tensor x, Tensor cos, Tensor sin) {
        long hd = x.size(3), half = hd / 2;
        Tensor x1 = x.narrow(3, 0, half), x2 = x.narrow(3, half, half);
        Tensor rotated = Torch.cat(3, x2.neg(), x1);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** Rows of table [V, H] for ids [B, T] -> [B, T, H]. */
    static Tensor embed(Tensor table, Tensor ids) {
        long b = ids.size(0), t = ids.size(1);
        return table.index_select(0, ids.reshape(-1)).reshape(b, t, table.size(1));
    }

    /**
     * Mean over valid rows of -log softmax(logits)[target], each row weighted by weight[target]
     * and the sum divided by the sum of those weights (torch's cross_entropy with weight);
     * logits [N, V], targets [N] int64, -100 ignored, weight [V] float64 or null for all 1.
     */
    static Tensor crossEntropy(Tensor logits, Tensor targets, Tensor weight) {
        Tensor valid = targets.ne(s(-100));
        Tensor safe = torch.where(valid, targets, new Scalar(0L)); // an integer scalar keeps the ids int64
        Tensor logp = logits.log_softmax(1);
        Tensor picked = logp.gather(1, safe.unsqueeze(1)).reshape(-1);
        Tensor w = valid.to(ScalarType.Double);
        if (weight != null) w = w.mul(weight.index_select(0, safe));
        return picked.mul(w).sum().neg().div(w.sum());
    }

    /** h [B, T, H] -> h[b, lengths[b] - 1, :] for each b: the last real token of right-padded rows. */
    static Tensor lastToken(Tensor h, int[] lengths) {
        if (lengths.length != h.size(0)) throw new IllegalArgumentException("oracle: " + lengths.length + " lengths for " + h.size(0) + " rows");
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 1 || lengths[b] > h.size(1)) {
                throw new IllegalArgumentException("oracle: row " + b + " length " + lengths[b] + " outside 1.." + h.size(1));
            }
        }
        Tensor[] rows = new Tensor[lengths.length];
        for (int b = 0; b < lengths.length; b++) rows[b] = h.narrow(0, b, 1).narrow(1, lengths[b] - 1, 1);
        return Torch.cat(0, rows).reshape(lengths.length, h.size(2));
    }

    /** Mean of h [B, T, H] over positions where mask [B, T] (float64 0/1) is 1, as sentence-transformers does. */
    static Tensor meanPool(Tensor h, Tensor mask) {
        Tensor m = mask.unsqueeze(2);
        Tensor total = Torch.sum(h.mul(m), 1, false);
        Tensor count = Torch.sum(m, 1, false).clamp_min(s(1e-9));
        return total.div(count);
    }

    /** h [B, T, H] -> h[:, 0, :]. */
    static Tensor clsPool(Tensor h) {
        return h.select(1, 0);
    }

    /** x / max(||x||, 1e-12) over the last dimension (torch.nn.functional.normalize). */
    static Tensor l2Normalize(Tensor x) {
        Tensor norm = Torch.sum(x.mul(x), -1, true).sqrt().clamp_min(s(1e-12));
        return x.div(norm);
    }
}
