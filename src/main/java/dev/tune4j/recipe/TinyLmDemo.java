package dev.tune4j.recipe;

import dev.tune4j.autograd.Var;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.TrainConfig;
import dev.tune4j.train.Trainer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The built-in demo: a byte-level GPT-style model (2 blocks) trained on a built-in text, with a
 * held-out tail of the text evaluated during training. Needs no download.
 */
public final class TinyLmDemo {

    public record Options(int steps, int batch, int seq, int hidden, int layers, int heads, double lr, long seed, int evalEvery) {
        public static Options defaults() {
            return new Options(300, 8, 48, 64, 2, 4, 3e-3, 42, 50);
        }
    }

    public record Outcome(Trainer.Result result, double initialValLoss, String prompt, String sample, long parameters) {}

    public static byte[] corpus() {
        try (InputStream in = TinyLmDemo.class.getResourceAsStream("/dev/tune4j/demo/tiny-corpus.txt")) {
            if (in == null) throw new IllegalStateException("built-in demo corpus is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Outcome run(Options o, Trainer.Listener listener) {
        byte[] text = corpus();
        int split = (int) (text.length * 0.9);
        int[] train = bytes(text, 0, split), val = bytes(text, split, text.length);

        TransformerConfig c = TransformerConfig.gpt2Like(256, o.hidden(), o.layers(), o.heads(), o.seq());
        c.seed = o.seed();
        Transformer model = new Transformer(c);

        TrainConfig tc = new TrainConfig();
        tc.steps = o.steps();
        tc.lr = o.lr();
        tc.warmupSteps = Math.min(20, o.steps() / 10);
        tc.schedule = "cosine";
        tc.minLrRatio = 0.1;
        tc.evalEvery = o.evalEvery();
        tc.weightDecay = 0.01;
        tc.seed = o.seed();
        Trainer<LmBatch> trainer = new Trainer<>(model, new CausalLmObjective(model), tc);

        List<LmBatch> valBatches = windows(val, o.seq());
        double initial = trainer.evaluate(valBatches).loss();
        Trainer.Result r = trainer.fit(randomWindows(train, o.batch(), o.seq(), new SplittableRandom(o.seed())), () -> valBatches, listener);
        String prompt = "Call me ";
        return new Outcome(r, initial, prompt, generate(model, prompt, 80, o.seq()), model.parameterCount());
    }

    /** Greedy decoding, recomputing the window each token (the demo model is tiny). */
    public static String generate(Transformer model, String prompt, int newTokens, int window) {
        List<Integer> ids = new ArrayList<>();
        for (byte b : prompt.getBytes(StandardCharsets.UTF_8)) ids.add(b & 0xFF);
        byte[] out = new byte[newTokens];
        for (int n = 0; n < newTokens; n++) {
            int start = Math.max(0, ids.size() - window), len = ids.size() - start;
            int[] ctx = new int[len];
            for (int i = 0; i < len; i++) ctx[i] = ids.get(start + i);
            Var logits = model.logits(TokenBatch.of(ctx, 1, len));
            float[] l = logits.data();
            int v = model.config.vocabSize, best = 0;
            for (int j = 1; j < v; j++) if (l[(len - 1) * v + j] > l[(len - 1) * v + best]) best = j;
            ids.add(best);
            out[n] = (byte) best;
        }
        return prompt + new String(out, StandardCharsets.UTF_8);
    }

    private static int[] bytes(byte[] text, int from, int to) {
        int[] r = new int[to - from];
        for (int i = from; i < to; i++) r[i - from] = text[i] & 0xFF;
        return r;
    }

    private static LmBatch window(int[] data, int[] starts, int seq) {
        int b = starts.length;
        int[] ids = new int[b * seq], targets = new int[b * seq];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < seq; t++) {
                ids[i * seq + t] = data[starts[i] + t];
                targets[i * seq + t] = data[starts[i] + t + 1];
            }
        }
        return new LmBatch(TokenBatch.of(ids, b, seq), targets);
    }

    /** Non-overlapping windows covering the held-out text. */
    static List<LmBatch> windows(int[] data, int seq) {
        List<LmBatch> out = new ArrayList<>();
        for (int s = 0; s + seq + 1 <= data.length; s += seq) out.add(window(data, new int[] {s}, seq));
        return out;
    }

    static Iterator<LmBatch> randomWindows(int[] data, int batch, int seq, SplittableRandom rng) {
        return new Iterator<>() {
            public boolean hasNext() { return true; }

            public LmBatch next() {
                int[] starts = new int[batch];
                for (int i = 0; i < batch; i++) starts[i] = rng.nextInt(data.length - seq - 1);
                return window(data, starts, seq);
            }
        };
    }
}
