package dev.tune4j.model.bert;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.ClsPoolOp;
import dev.tune4j.autograd.ops.L2NormalizeOp;
import dev.tune4j.autograd.ops.MeanPoolOp;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.tokenizer.BatchEncoding;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Sentence embeddings from an encoder, as sentence-transformers computes them: tokenize a batch
 * (padded to its longest text, with attention masks and token type ids), run the encoder, pool
 * the last hidden states (masked mean or [CLS]), optionally L2-normalise. {@link #encode} runs in
 * evaluation mode and, called outside a {@code Tape}, records nothing and keeps no activations.
 */
public final class SentenceEncoder {
    /** Masked mean over the tokens, or the first ([CLS]) token. */
    public enum Pooling {
        MEAN, CLS;

        public static Pooling parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown pooling '" + s + "' (expected mean or cls)");
            }
        }
    }

    /** As torch.nn.functional.normalize. */
    private static final float NORMALIZE_EPS = 1e-12f;

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final Pooling pooling;
    private final boolean normalize;
    private final int maxLength;

    /** @param maxLength truncation length in tokens, special tokens included */
    public SentenceEncoder(Transformer model, Tokenizer tokenizer, Pooling pooling, boolean normalize, int maxLength) {
        int positions = positionLimit(model.config);
        if (maxLength < 2) throw new IllegalArgumentException("max length must be at least 2 (room for the special tokens), got " + maxLength);
        if (maxLength > positions) {
            throw new IllegalArgumentException("max length " + maxLength + " exceeds the model's " + positions + " position embeddings");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.normalize = normalize;
        this.maxLength = maxLength;
    }

    /** An encoder for a loaded model and its tokenizer; {@code maxLength} 0 takes {@link #defaultMaxLength}. */
    public static SentenceEncoder of(PretrainedModel m, Pooling pooling, boolean normalize, int maxLength) {
        Tokenizer t = m.requireTokenizer();
        return new SentenceEncoder(m.model(), t, pooling, normalize, maxLength > 0 ? maxLength : defaultMaxLength(t, m.config()));
    }

    /** The tokenizer file's truncation length when it sets one, else the model's position count (whichever is smaller). */
    public static int defaultMaxLength(Tokenizer tokenizer, TransformerConfig config) {
        return Math.min(tokenizer.maxLength(), positionLimit(config));
    }

    private static int positionLimit(TransformerConfig c) {
        return c.positions == TransformerConfig.Positions.LEARNED ? c.maxPositions : Integer.MAX_VALUE;
    }

    public int maxLength() { return maxLength; }

    public int dimension() { return model.config.hidden; }

    public Pooling pooling() { return pooling; }

    public boolean normalizes() { return normalize; }

    public Tokenizer tokenizer() { return tokenizer; }

    /**
     * Embeds texts in batches of at most {@code batchSize}, returned in input order. Texts are
     * grouped by length first, so little compute is spent on padding.
     */
    public float[][] encode(List<String> texts, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        Integer[] order = new Integer[texts.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -texts.get(i).length()));
        float[][] out = new float[texts.size()][];
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            List<String> batch = Arrays.stream(order, start, end).map(texts::get).toList();
            float[][] e = encodeBatch(batch);
            for (int i = start; i < end; i++) out[order[i]] = e[i - start];
        }
        return out;
    }

    /** Embeds the texts as one padded batch. */
    public float[][] encodeBatch(List<String> texts) {
        if (texts.isEmpty()) return new float[0][];
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            float[] flat = embed(tokenize(texts)).value().data();
            int d = dimension();
            float[][] rows = new float[texts.size()][];
            for (int i = 0; i < rows.length; i++) rows[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
            return rows;
        } finally {
            model.train(wasTraining);
        }
    }

    /** Tokenizes as {@link #encodeBatch} does: truncated to {@link #maxLength()}, padded to the longest. */
    public BatchEncoding tokenize(List<String> texts) {
        return tokenizer.encodeBatch(texts, Tokenizer.Padding.LONGEST, maxLength);
    }

    /** Pooled (and optionally normalised) embeddings [B, D]; differentiable when a tape records. */
    public Var embed(BatchEncoding enc) {
        Var h = hidden(enc);
        Var pooled = pooling == Pooling.MEAN ? MeanPoolOp.apply(h, enc.attentionMask()) : ClsPoolOp.apply(h);
        return normalize ? L2NormalizeOp.apply(pooled, NORMALIZE_EPS) : pooled;
    }

    /** The encoder's last hidden states [B, T, D] for a tokenized batch. */
    public Var hidden(BatchEncoding enc) {
        return model.hidden(tokenBatch(enc));
    }

    /** A tokenized batch as the transformer's input: ids and token types flattened [B*T], the mask as rows. */
    public static TokenBatch tokenBatch(BatchEncoding enc) {
        int b = enc.size(), t = b == 0 ? 0 : enc.ids()[0].length;
        int[] ids = new int[b * t], types = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(enc.ids()[i], 0, ids, i * t, t);
            System.arraycopy(enc.typeIds()[i], 0, types, i * t, t);
        }
        return new TokenBatch(ids, b, t, enc.attentionMask(), types, null);
    }
}
