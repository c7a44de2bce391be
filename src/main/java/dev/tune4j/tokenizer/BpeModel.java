package dev.tune4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A byte-level BPE as {@link BpeTrainer} learns it: the special tokens (ids 0..k-1), the 256
 * characters of the {@link ByteLevel} alphabet in code point order, then one token per merge in the
 * order the merges were learned (a merge whose token already exists adds no id).
 *
 * <p>{@link #encode} segments text exactly as the Hugging Face tokenizers library runs the saved
 * {@code tokenizer.json}: special tokens are cut out first (leftmost, longest), the rest is split
 * into GPT-2 pre-tokens, and in each pre-token the adjacent pair with the lowest merge rank is merged
 * (the leftmost on ties) until no pair has a merge.
 */
public final class BpeModel {
    private final List<String> specialTokens;
    private final List<String> vocab;
    private final Map<String, Integer> ids;
    /** Rank -> {left id, right id, merged id}. */
    private final List<int[]> merges;
    /** (left id << 32 | right id) -> rank. */
    private final Map<Long, Integer> rankOf;
    private final SpecialTokenSplitter specials;

    BpeModel(List<String> specialTokens, List<String> vocab, List<int[]> merges) {
        this.specialTokens = List.copyOf(specialTokens);
        this.vocab = List.copyOf(vocab);
        this.merges = List.copyOf(merges);
        this.ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) ids.put(vocab.get(i), i);
        this.rankOf = new HashMap<>();
        for (int r = 0; r < merges.size(); r++) rankOf.put(pair(merges.get(r)[0], merges.get(r)[1]), r);
        this.specials = new SpecialTokenSplitter(specialTokens);
    }

    static long pair(int left, int right) {
        return (long) left << 32 | right;
    }

    public List<String> specialTokens() { return specialTokens; }

    /** Token strings by id, in the byte-level alphabet (special tokens as they are). */
    public List<String> vocab() { return vocab; }

    public int vocabSize() { return vocab.size(); }

    /** The merges in rank order, each as its two token strings. */
    public List<String[]> merges() {
        List<String[]> out = new ArrayList<>(merges.size());
        for (int[] m : merges) out.add(new String[] {vocab.get(m[0]), vocab.get(m[1])});
        return out;
    }

    /** The id of a token string, or -1. */
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    /** The ids of {@code text}; special tokens in it become their single ids. */
    public int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        specials.split(text, ordinary -> ByteLevel.split(ordinary, piece -> {
            for (int id : mergeWord(ByteLevel.toAlphabet(piece))) out.add(id);
        }), special -> out.add(ids.get(special)));
        int[] result = new int[out.size()];
        for (int i = 0; i < result.length; i++) result[i] = out.get(i);
        return result;
    }

    /**
     * The library's merge loop over one pre-token: a queue of (rank, position) for every adjacent
     * pair that has a merge, lowest first; an entry whose pair has changed since it was queued is
     * skipped; each merge queues the pairs the new symbol forms with its neighbours.
     */
    private int[] mergeWord(String word) {
        int n = word.length();
        if (n == 0) return new int[0];
        int[] symbol = new int[n], next = new int[n], prev = new int[n];
        boolean[] gone = new boolean[n];
        for (int i = 0; i < n; i++) {
            symbol[i] = ids.get(String.valueOf(word.charAt(i)));
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) offer(queue, symbol[i], symbol[i + 1], i);
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32), pos = (int) top;
            if (gone[pos] || next[pos] < 0) continue;
            int right = next[pos];
            Integer current = rankOf.get(pair(symbol[pos], symbol[right]));
            if (current == null || merges.get(current)[2] != merges.get(rank)[2]) continue;
            symbol[pos] = merges.get(rank)[2];
            gone[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) offer(queue, symbol[prev[pos]], symbol[pos], prev[pos]);
            if (next[pos] >= 0) offer(queue, symbol[pos], symbol[next[pos]], pos);
        }
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) count++;
        int[] result = new int[count];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) result[k++] = symbol[i];
        return result;
    }

    private void offer(PriorityQueue<Long> queue, int left, int right, int pos) {
        Integer rank = rankOf.get(pair(left, right));
        if (rank != null) queue.add((long) rank << 32 | pos);
    }

    /** The text of some ids: byte-level tokens back to their bytes, special tokens as written, invalid UTF-8 replaced. */
    public String decode(int[] tokenIds) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : tokenIds) {
            if (id < 0 || id >= vocab.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab.size() + ")");
            String token = vocab.get(id);
            if (id < specialTokens.size()) bytes.writeBytes(token.getBytes(StandardCharsets.UTF_8));
            else ByteLevel.appendBytes(token, bytes);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
