package dev.tune4j.tokenizer;

import java.util.List;

/**
 * Text to token ids and back, with the model's special tokens. Encodings always include the
 * special tokens the tokenizer's template adds (e.g. [CLS] ... [SEP]); truncation keeps them and
 * cuts the text from the right.
 */
public interface Tokenizer extends AutoCloseable {

    /** Encodes one text, truncated to {@link #maxLength()}. */
    default Encoding encode(String text) { return encode(text, maxLength()); }

    /** Encodes one text, truncated to {@code maxLength} tokens (special tokens included). */
    default Encoding encode(String text, int maxLength) { return encode(text, maxLength, true); }

    /**
     * Encodes one text, with or without the special tokens the tokenizer's template adds around
     * it; without them for text that already holds them, such as a rendered chat template (as
     * transformers does with {@code add_special_tokens=False}).
     */
    Encoding encode(String text, int maxLength, boolean addSpecialTokens);

    /**
     * Encodes a batch, truncating each text to {@code maxLength} tokens and padding on the right
     * with the pad id: to the longest text ({@link Padding#LONGEST}), to {@code maxLength}
     * ({@link Padding#MAX_LENGTH}) or not at all ({@link Padding#NONE}, ragged rows).
     */
    BatchEncoding encodeBatch(List<String> texts, Padding padding, int maxLength);

    default BatchEncoding encodeBatch(List<String> texts) { return encodeBatch(texts, Padding.LONGEST, maxLength()); }

    String decode(int[] ids, boolean skipSpecialTokens);

    /** Number of ids the tokenizer can produce (vocabulary plus added tokens). */
    int vocabSize();

    /** Default truncation length from the tokenizer files; {@link Integer#MAX_VALUE} when they set none. */
    int maxLength();

    SpecialTokens specialTokens();

    /** The id of a token string, or -1. */
    int tokenToId(String token);

    /** The token string of an id, or null. */
    String idToToken(int id);

    @Override
    void close();

    enum Padding { NONE, LONGEST, MAX_LENGTH }
}
