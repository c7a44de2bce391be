package dev.tune4j.recipe;

import dev.tune4j.data.Example;
import dev.tune4j.data.Schema;
import dev.tune4j.data.collate.LengthBuckets;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.tokenizer.Tokenizer;
import dev.tune4j.train.Batches;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Trainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Causal language modelling on plain text: each row tokenized (with the tokenizer's special tokens
 * and an end-of-sequence token), the rows of a split packed end to end and cut into windows of
 * {@code max_length} tokens, next-token cross-entropy on every real token, perplexity on held-out
 * windows.
 */
final class CausalLmTask {
    private CausalLmTask() {}

    static FineTune.Run run(RecipeLoader.Resolved resolved, RunFolder folder, FineTune.Options opts) {
        Recipe r = resolved.recipe();
        long t0 = System.nanoTime();
        RunData data = RunData.load(r, Schema.TEXT, folder.resolve("data"));
        if (data.validation().isEmpty()) throw new IllegalArgumentException("data.validation: no validation rows (give a fraction > 0 or a file)");
        for (String leak : data.leaks()) opts.progress().message("warning: leakage: " + leak + " also occurs in the training data");
        PretrainedModel base = ClassificationTask.open(r);
        try {
            Transformer lm = base.model();
            if (!lm.config.lmHead || !lm.config.causal) {
                throw new IllegalArgumentException(r.model() + " is not a decoder with a language-model head; task causal_lm needs one (Llama, Qwen2, Mistral, GPT-2)");
            }
            Artifacts.Trainable trainable = new Artifacts.Trainable(base.module(), lm, lm.lmHead == null ? List.of() : lm.lmHead.parameters(), null, null);
            Artifacts.Method method = Artifacts.apply(r, base, trainable);
            Methods.Counts counts = Methods.counts(base.module());
            Tokenizer tok = base.requireTokenizer();
            int window = r.data().maxLength();
            List<LmBatch> train = windows(tok, data.train(), window), val = windows(tok, data.validation(), window);
            double dataSeconds = (System.nanoTime() - t0) / 1e9;

            Trainer<LmBatch> trainer = new Trainer<>(base.module(), new CausalLmObjective(lm), ClassificationTask.trainConfig(r));
            List<LmBatch> valBatches = group(val, r.eval().batchSize());
            Map<String, Object> results = new TrainingRun<LmBatch>(resolved, folder, opts, t0).run("causal_lm", base, data, dataSeconds,
                    trainer, batches(train, r), valBatches, () -> group(windows(tok, data.test(), window), r.eval().batchSize()), counts,
                    Map.of(), method, trainable);
            return new FineTune.Run(folder.dir(), results, null);
        } finally {
            base.close();
        }
    }

    /** Rows tokenized and packed end to end, cut into windows of {@code window} inputs with their next tokens. */
    static List<LmBatch> windows(Tokenizer tok, List<Example> rows, int window) {
        int eos = tok.specialTokens().eos();
        List<Integer> stream = new ArrayList<>();
        for (Example e : rows) {
            int[] ids = tok.encode(e.texts[0], Integer.MAX_VALUE).ids();
            for (int id : ids) stream.add(id);
            if (eos >= 0 && (ids.length == 0 || ids[ids.length - 1] != eos)) stream.add(eos);
        }
        List<LmBatch> out = new ArrayList<>();
        for (int s = 0; s + 1 < stream.size(); s += window) {
            int[] ids = new int[window], targets = new int[window];
            Arrays.fill(targets, LmBatch.IGNORE);
            int n = Math.min(window, stream.size() - 1 - s);
            for (int t = 0; t < n; t++) {
                ids[t] = stream.get(s + t);
                targets[t] = stream.get(s + t + 1);
            }
            int[][] mask = new int[1][window];
            Arrays.fill(mask[0], 0, n, 1);
            out.add(new LmBatch(new TokenBatch(ids, 1, window, n == window ? null : mask, null, null), targets));
        }
        return out;
    }

    /** Single windows grouped into batches of up to {@code size}. */
    static List<LmBatch> group(List<LmBatch> windows, int size) {
        List<LmBatch> out = new ArrayList<>();
        for (int from = 0; from < windows.size(); from += size) out.add(concat(windows.subList(from, Math.min(windows.size(), from + size))));
        return out;
    }

    private static LmBatch concat(List<LmBatch> parts) {
        int t = parts.getFirst().tokens().seq(), b = parts.size();
        int[] ids = new int[b * t], targets = new int[b * t];
        int[][] mask = new int[b][];
        boolean anyMask = false;
        for (int i = 0; i < b; i++) {
            LmBatch p = parts.get(i);
            System.arraycopy(p.tokens().ids(), 0, ids, i * t, t);
            System.arraycopy(p.targets(), 0, targets, i * t, t);
            int[][] m = p.tokens().attentionMask();
            anyMask |= m != null;
            mask[i] = m != null ? m[0] : filled(t);
        }
        return new LmBatch(new TokenBatch(ids, b, t, anyMask ? mask : null, null, null), targets);
    }

    private static int[] filled(int t) {
        int[] m = new int[t];
        Arrays.fill(m, 1);
        return m;
    }

    private static Batches<LmBatch> batches(List<LmBatch> windows, Recipe r) {
        int[] lengths = new int[windows.size()];
        LengthBuckets order = new LengthBuckets(lengths, r.train().batchSize(), r.train().seed(), false);
        return new Batches<>() {
            public int perEpoch() { return order.batchesPerEpoch(); }

            public Iterator<LmBatch> epoch(int epoch) {
                return order.epoch(epoch).stream().map(idx -> {
                    List<LmBatch> parts = new ArrayList<>();
                    for (int i : idx) parts.add(windows.get(i));
                    return concat(parts);
                }).iterator();
            }

            public long tokens(LmBatch b) { return b.tokens().ids().length; }
        };
    }
}
