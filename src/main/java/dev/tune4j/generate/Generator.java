package dev.tune4j.generate;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.LastTokenPoolOp;
import dev.tune4j.nn.KvCache;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Autoregressive decoding with a {@link KvCache}: the prompt runs through {@link Transformer#hidden}
 * once (prefill), then each step feeds only the newly chosen token through the same forward, with
 * the cache as state. A LoRA adapter applies as in training (unmerged). Several prompts decode
 * together, left-padded, each positioned as if alone.
 */
public final class Generator {
    private final Transformer model;
    private final Tokenizer tokenizer;
    private final Set<Integer> stopIds;

    /** Why a sequence ended. */
    public enum Finish { EOS, STOP_STRING, LENGTH }

    /**
     * @param ids   the generated ids, the end token included when it ended on one
     * @param text  the generated text, special tokens skipped, cut before a stop string
     */
    public record Result(int[] promptIds, int[] ids, String text, Finish finish, double prefillSeconds, double decodeSeconds) {
        /** Generated tokens per second of decoding (the prefill excluded). */
        public double tokensPerSecond() {
            return decodeSeconds > 0 ? (ids.length - 1) / decodeSeconds : 0;
        }
    }

    /** Receives each row's new text as it becomes final (no partial stop string, no half character). */
    public interface Listener {
        void text(int row, String delta);
    }

    /**
     * @param tokenizer for the text and stop strings; null: ids only
     * @param stopIds   token ids that end a sequence: EOS, the template's end of turn, generation_config's eos ids
     */
    public Generator(Transformer model, Tokenizer tokenizer, Set<Integer> stopIds) {
        if (!model.config.causal || !model.config.lmHead) {
            throw new IllegalArgumentException("generation needs a causal language model with an LM head; this model is "
                    + (model.config.causal ? "missing its LM head" : "an encoder"));
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.stopIds = Set.copyOf(new LinkedHashSet<>(stopIds));
    }

    public Result generate(int[] prompt, Sampling sampling) {
        return generate(List.of(prompt), sampling, null).get(0);
    }

    public List<Result> generate(List<int[]> prompts, Sampling sampling, Listener listener) {
        int b = prompts.size(), vocab = model.config.vocabSize;
        if (b == 0) return List.of();
        int longest = 0;
        for (int[] p : prompts) {
            if (p.length == 0) throw new IllegalArgumentException("generation needs at least one prompt token");
            for (int id : p) if (id < 0 || id >= vocab) throw new IllegalArgumentException("prompt token id " + id + " is outside the vocabulary of " + vocab);
            longest = Math.max(longest, p.length);
        }
        if (tokenizer == null && !sampling.stopStrings().isEmpty()) throw new IllegalArgumentException("stop strings need a tokenizer");
        int capacity = longest + sampling.maxNewTokens();
        if (model.config.maxPositions > 0 && capacity > model.config.maxPositions) {
            throw new IllegalArgumentException("prompt (" + longest + " tokens) + max new tokens (" + sampling.maxNewTokens()
                    + ") exceed the model's " + model.config.maxPositions + " positions");
        }
        KvCache cache = new KvCache(model.config, b, capacity);
        Row[] rows = new Row[b];
        int[] ids = new int[b * longest];
        int[][] mask = new int[b][longest];
        for (int r = 0; r < b; r++) {
            int[] p = prompts.get(r);
            rows[r] = new Row(r, p, sampling, vocab);
            int pad = longest - p.length;
            System.arraycopy(p, 0, ids, r * longest + pad, p.length);
            for (int t = pad; t < longest; t++) mask[r][t] = 1;
        }
        long t0 = System.nanoTime();
        float[] logits = lastLogits(new TokenBatch(ids, b, longest, mask, null, null), cache);
        long t1 = System.nanoTime();
        int[] next = new int[b];
        for (int step = 0; ; step++) {
            boolean running = false;
            for (Row row : rows) {
                if (row.finish == null) row.choose(logits, listener);
                running |= row.finish == null;
                next[row.index] = row.last();
            }
            if (!running || step + 1 >= sampling.maxNewTokens()) break;
            logits = lastLogits(new TokenBatch(next.clone(), b, 1, null, null, null), cache);
        }
        double prefill = (t1 - t0) / 1e9, decode = (System.nanoTime() - t1) / 1e9;
        List<Result> out = new ArrayList<>(b);
        for (Row row : rows) {
            if (row.finish == null) row.finish = Finish.LENGTH;
            row.flush(listener);
            out.add(new Result(row.prompt, row.ids(), row.text, row.finish, prefill, decode));
        }
        return out;
    }

    /** Logits [B, V] of each row's last position. */
    private float[] lastLogits(TokenBatch batch, KvCache cache) {
        Var hidden = model.hidden(batch, cache);
        return model.logits(LastTokenPoolOp.apply(hidden, null)).value().toHeap().data();
    }

    /** One sequence's state: its tokens, counts for the penalty, its text and what was streamed. */
    private final class Row {
        final int index;
        final int[] prompt;
        final TokenSampler sampler;
        final int[] seen;
        final Sampling sampling;
        int[] generated = new int[16];
        int count;
        String text = "";
        int streamed;
        Finish finish;

        Row(int index, int[] prompt, Sampling sampling, int vocab) {
            this.index = index;
            this.prompt = prompt;
            this.sampling = sampling;
            this.sampler = new TokenSampler(new Sampling(sampling.temperature(), sampling.topK(), sampling.topP(),
                    sampling.repetitionPenalty(), sampling.maxNewTokens(), sampling.stopStrings(), sampling.seed() + index));
            this.seen = new int[vocab];
            for (int id : prompt) seen[id]++;
        }

        void choose(float[] logits, Listener listener) {
            int vocab = seen.length;
            int id = sampler.next(logits, index * vocab, vocab, seen);
            if (count == generated.length) generated = Arrays.copyOf(generated, 2 * count);
            generated[count++] = id;
            seen[id]++;
            if (stopIds.contains(id)) {
                finish = Finish.EOS;
                return;
            }
            if (tokenizer == null) return;
            text = tokenizer.decode(ids(), true);
            for (String stop : sampling.stopStrings()) {
                int at = text.indexOf(stop);
                if (at >= 0) {
                    text = text.substring(0, at);
                    finish = Finish.STOP_STRING;
                }
            }
            if (finish == null) stream(listener, held());
        }

        int last() { return count == 0 ? prompt[prompt.length - 1] : generated[count - 1]; }

        int[] ids() { return Arrays.copyOf(generated, count); }

        /** Characters at the end that may still change: a half-decoded character or the start of a stop string. */
        private int held() {
            int hold = text.endsWith("\uFFFD") ? 1 : 0;
            for (String stop : sampling.stopStrings()) {
                for (int n = Math.min(stop.length() - 1, text.length()); n > hold; n--) {
                    if (text.endsWith(stop.substring(0, n))) {
                        hold = n;
                        break;
                    }
                }
            }
            return hold;
        }

        void flush(Listener listener) { stream(listener, 0); }

        private void stream(Listener listener, int hold) {
            int end = Math.max(streamed, text.length() - hold);
            if (listener != null && end > streamed) listener.text(index, text.substring(streamed, end));
            streamed = end;
        }
    }
}
