package dev.tune4j.bench;

import dev.tune4j.report.Json;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The libtorch side of {@code tune4j bench step}: what a Java user would write with libtorch's
 * Java bindings instead. The same shapes (GPT-2 124M with its fused c_attn, or SmolLM2-135M's
 * Llama layout with RoPE and grouped-query attention, tied embeddings), float32, libtorch's fused
 * kernels (linear, layer_norm / rms_norm, scaled_dot_product_attention, cross_entropy), the same
 * random batch, clip to norm 1 and AdamW; LoRA rank 8 on the attention and MLP projections (one
 * adapter on GPT-2's fused c_attn, as PEFT places it). Prints the same JSON line as
 * {@code tune4j bench step --json}. Not a test (no timing belongs in tests): run it with
 * bench/step-vs-libtorch.sh.
 *
 * <p>Arguments: --preset gpt2-124m|smollm2-135m --mode full|partial|lora|forward --batch N --seq N
 * --threads N --steps N --warmup N.
 */
public final class TorchStepBench {
    private static final TensorOptions F32 = new TensorOptions(ScalarType.Float);

    record Shape(boolean gpt2, int vocab, int hidden, int layers, int heads, int kvHeads, int inter, int positions) {
        int headDim() { return hidden / heads; }
    }

    static Shape shape(String preset) {
        return switch (preset) {
            case "gpt2-124m" -> new Shape(true, 50257, 768, 12, 12, 12, 3072, 1024);
            case "smollm2-135m" -> new Shape(false, 49152, 576, 30, 9, 3, 1536, 8192);
            default -> throw new IllegalArgumentException("unknown preset " + preset);
        };
    }

    private final Shape s;
    private final String mode;
    private final List<Tensor> trainable = new ArrayList<>();
    private long total;
    private final SplittableRandom rng = new SplittableRandom(1);
    private final Map<String, Tensor> w = new LinkedHashMap<>();
    private final Map<String, Tensor[]> lora = new LinkedHashMap<>();
    private Tensor cos, sin;

    TorchStepBench(Shape s, String mode) {
        this.s = s;
        this.mode = mode;
    }

    private Tensor param(String name, boolean train, double std, long... shape) {
        Tensor t = std == 0 ? torch.zeros(shape, F32) : torch.randn(shape, F32).mul_(new Scalar(std));
        if (std < 0) t = torch.ones(shape, F32);
        total += t.numel();
        if (train) {
            t = t.set_requires_grad(true);
            trainable.add(t);
        }
        w.put(name, t);
        return t;
    }

    /** A projection weight [out, in] (+ bias), and its LoRA pair when the mode adapts it. */
    private void linear(String name, boolean train, boolean bias, int in, int out) {
        param(name, train, 0.02, out, in);
        if (bias) param(name + ".b", train, 0.0, out);
        if (mode.equals("lora")) {
            Tensor a = torch.randn(new long[] {8, in}, F32).mul_(new Scalar(1 / Math.sqrt(in))).set_requires_grad(true);
            Tensor b = torch.full(new long[] {out, 8}, new Scalar(0.01), F32).set_requires_grad(true);
            trainable.add(a);
            trainable.add(b);
            total += a.numel() + b.numel();
            lora.put(name, new Tensor[] {a, b});
        }
    }

    void build() {
        boolean full = mode.equals("full"), partial = mode.equals("partial");
        boolean embeddings = full;
        param("embed", embeddings, 0.02, s.vocab, s.hidden);
        if (s.gpt2) param("pos", embeddings, 0.02, s.positions, s.hidden);
        for (int l = 0; l < s.layers; l++) {
            boolean train = full || partial && l >= s.layers / 2;
            String p = "l" + l + ".";
            int kv = s.kvHeads * s.headDim();
            param(p + "norm1", train, -1, s.hidden);
            if (s.gpt2) {
                param(p + "norm1.b", train, 0, s.hidden);
                linear(p + "qkv", train, true, s.hidden, 3 * s.hidden);
                linear(p + "o", train, true, s.hidden, s.hidden);
                param(p + "norm2", train, -1, s.hidden);
                param(p + "norm2.b", train, 0, s.hidden);
                linear(p + "up", train, true, s.hidden, s.inter);
                linear(p + "down", train, true, s.inter, s.hidden);
            } else {
                linear(p + "q", train, false, s.hidden, s.hidden);
                linear(p + "k", train, false, s.hidden, kv);
                linear(p + "v", train, false, s.hidden, kv);
                linear(p + "o", train, false, s.hidden, s.hidden);
                param(p + "norm2", train, -1, s.hidden);
                linear(p + "gate", train, false, s.hidden, s.inter);
                linear(p + "up", train, false, s.hidden, s.inter);
                linear(p + "down", train, false, s.inter, s.hidden);
            }
        }
        boolean head = full || partial;
        param("final", head, -1, s.hidden);
        if (s.gpt2) param("final.b", head, 0, s.hidden);
    }

    private Tensor proj(String name, Tensor x) {
        Tensor bias = w.get(name + ".b");
        Tensor y = bias == null ? torch.linear(x, w.get(name)) : torch.linear(x, w.get(name), bias);
        Tensor[] ab = lora.get(name);
        return ab == null ? y : y.add(torch.linear(torch.linear(x, ab[0]), ab[1]).mul(new Scalar(2.0)));
    }

    private Tensor norm(String name, Tensor x) {
        long[] d = {s.hidden};
        if (s.gpt2) return torch.layer_norm(x, d, new TensorOptional(w.get(name)), new TensorOptional(w.get(name + ".b")), 1e-5, true);
        return torch.rms_norm(x, d, new TensorOptional(w.get(name)), new DoubleOptional(1e-5));
    }

    /** HF's rotate_half RoPE on [B, H, T, Dh]. */
    private Tensor rope(Tensor x) {
        long half = s.headDim() / 2;
        Tensor rotated = torch.cat(new TensorVector(x.narrow(3, half, half).neg(), x.narrow(3, 0, half)), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }

    private Tensor heads(Tensor x, int b, int t, int h) {
        return x.reshape(b, t, h, s.headDim()).transpose(1, 2);
    }

    Tensor loss(Tensor ids, Tensor pos, Tensor targets, int b, int t) {
        Tensor x = torch.embedding(w.get("embed"), ids);
        if (s.gpt2) x = x.add(torch.embedding(w.get("pos"), pos));
        for (int l = 0; l < s.layers; l++) {
            String p = "l" + l + ".";
            Tensor h = norm(p + "norm1", x);
            Tensor q, k, v;
            if (s.gpt2) {
                TensorVector qkv = proj(p + "qkv", h).split(s.hidden, 2);
                q = heads(qkv.get(0), b, t, s.heads);
                k = heads(qkv.get(1), b, t, s.heads);
                v = heads(qkv.get(2), b, t, s.heads);
            } else {
                q = rope(heads(proj(p + "q", h), b, t, s.heads));
                k = rope(heads(proj(p + "k", h), b, t, s.kvHeads));
                v = heads(proj(p + "v", h), b, t, s.kvHeads);
            }
            Tensor a = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, true, new DoubleOptional(), s.kvHeads != s.heads);
            x = x.add(proj(p + "o", a.transpose(1, 2).reshape(b, t, s.hidden)));
            h = norm(p + "norm2", x);
            Tensor m = s.gpt2 ? torch.gelu(proj(p + "up", h), "tanh") : torch.silu(proj(p + "gate", h)).mul(proj(p + "up", h));
            x = x.add(proj(p + "down", m));
        }
        Tensor logits = torch.linear(norm("final", x), w.get("embed"));
        return torch.cross_entropy_loss(logits.reshape(-1, s.vocab), targets.reshape(-1), new TensorOptional(), 1, -100, 0.0);
    }

    void ropeTables(int t) {
        int hd = s.headDim(), half = hd / 2;
        float[] c = new float[t * hd], sn = new float[t * hd];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(100000, -2.0 * i / hd);
                c[p * hd + i] = c[p * hd + i + half] = (float) Math.cos(angle);
                sn[p * hd + i] = sn[p * hd + i + half] = (float) Math.sin(angle);
            }
        }
        cos = torch.from_blob(new org.bytedeco.javacpp.FloatPointer(c), new long[] {t, hd}, F32).clone();
        sin = torch.from_blob(new org.bytedeco.javacpp.FloatPointer(sn), new long[] {t, hd}, F32).clone();
    }

    static Tensor longs(long[] v, long... shape) {
        return torch.from_blob(new LongPointer(v), shape, new TensorOptions(ScalarType.Long)).clone();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>(Map.of("preset", "gpt2-124m", "mode", "full", "batch", "4", "seq", "256",
                "threads", "2", "steps", "5", "warmup", "2"));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--json")) continue;
            if (!a.startsWith("--") || i + 1 >= args.length || !opt.containsKey(a.substring(2))) {
                throw new IllegalArgumentException("usage: TorchStepBench [--preset P] [--mode M] [--batch N] [--seq N] [--threads N] [--steps N] [--warmup N], got " + a);
            }
            opt.put(a.substring(2), args[++i]);
        }
        int b = Integer.parseInt(opt.get("batch")), t = Integer.parseInt(opt.get("seq")), threads = Integer.parseInt(opt.get("threads"));
        int steps = Integer.parseInt(opt.get("steps")), warmup = Integer.parseInt(opt.get("warmup"));
        String mode = opt.get("mode");
        torch.set_num_threads(threads);
        Shape s = shape(opt.get("preset"));
        TorchStepBench m = new TorchStepBench(s, mode);
        m.build();
        m.ropeTables(t);

        SplittableRandom r = new SplittableRandom(42);
        long[] ids = new long[b * t], tg = new long[b * t], pos = new long[b * t];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(s.vocab);
        for (int i = 0; i < ids.length; i++) {
            tg[i] = (i + 1) % t == 0 ? -100 : ids[i + 1];
            pos[i] = i % t;
        }
        Tensor tIds = longs(ids, b, t), tTargets = longs(tg, b, t), tPos = longs(pos, b, t);
        boolean forward = mode.equals("forward");
        AdamW opt2 = forward ? null : new AdamW(new TensorVector(m.trainable.toArray(new Tensor[0])), new AdamWOptions(1e-5));
        double[] seconds = new double[steps];
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime();
            float loss;
            try (PointerScope scope = new PointerScope()) {
                if (forward) {
                    try (NoGradGuard g = new NoGradGuard()) {
                        loss = m.loss(tIds, tPos, tTargets, b, t).item_float();
                    }
                } else {
                    opt2.zero_grad();
                    Tensor l = m.loss(tIds, tPos, tTargets, b, t);
                    l.backward();
                    torch.clip_grad_norm_(new TensorVector(m.trainable.toArray(new Tensor[0])), 1.0);
                    opt2.step();
                    loss = l.item_float();
                }
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            if (i >= warmup) seconds[i - warmup] = sec;
            System.err.printf("  libtorch step %d%s: %.3f s, loss %.4f%n", i + 1, i < warmup ? " (warm-up)" : "", sec, loss);
        }
        long trainableCount = 0;
        for (Tensor x : m.trainable) trainableCount += x.numel();
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        double median = sorted[steps / 2];
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("impl", "libtorch 2.10.0");
        o.put("preset", opt.get("preset"));
        o.put("mode", mode);
        o.put("base_dtype", "f32");
        o.put("batch", b);
        o.put("seq", t);
        o.put("threads", threads);
        o.put("trainable_params", trainableCount);
        o.put("total_params", m.total);
        o.put("tokens_per_s", (double) b * t / median);
        o.put("step_s", median);
        o.put("peak_rss_mb", peakRssMb());
        System.out.println(Json.line(o));
    }

    static double peakRssMb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
        return Double.NaN;
    }
}
