package dev.tune4j.tokenizer;

/**
 * One encoded text. {@code offsets[i]} is the {start, end} character span of token i in the input
 * ({0, 0} for special tokens); {@code specialTokensMask[i]} is 1 for tokens the template added.
 */
public record Encoding(int[] ids, int[] attentionMask, int[] typeIds, int[] specialTokensMask, String[] tokens, int[][] offsets) {
    public int length() { return ids.length; }
}
