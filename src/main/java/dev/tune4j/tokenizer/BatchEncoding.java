package dev.tune4j.tokenizer;

/** A batch of encodings as rows (padded to one length unless padding was NONE); {@code lengths} are the unpadded lengths. */
public record BatchEncoding(int[][] ids, int[][] attentionMask, int[][] typeIds, int[] lengths) {
    public int size() { return ids.length; }
}
