package dev.tune4j.tokenizer;

/**
 * One encoded text. {@code offsets[i]} is the {start, end} span of token i in the input as
 * {@link String} indices (UTF-16 units), {0, 0} for special tokens the template added;
 * {@code specialTokensMask[i]} is 1 for tokens the template added.
 */
public record Encoding(int[] ids, int[] attentionMask, int[] typeIds, int[] specialTokensMask, String[] tokens, int[][] offsets) {
    public int length() { return ids.length; }
}
