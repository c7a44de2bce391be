package dev.tune4j.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Learns a byte-level BPE (GPT-2, SmolLM2) from text: {@link #add} cuts out the special tokens,
 * splits the rest into GPT-2 pre-tokens and counts them; {@link #train} then learns merges on the
 * distinct pre-tokens weighted by their counts.
 *
 * <p>Each step merges the most frequent adjacent pair, counted over all pre-token occurrences;
 * ties go to the pair with the smaller left id, then the smaller right id (ids are given in the
 * order tokens appear: special tokens, the byte alphabet in code point order, merges), as in the
 * tokenizers library's trainer. Learning stops when the vocabulary has {@code vocabSize} tokens or
 * the best pair occurs fewer than {@code minFrequency} times.
 *
 * <p>Counts are kept up to date rather than recounted: a merge rewrites only the pre-tokens that
 * hold its pair (found through an index pair -> pre-tokens), taking their old pairs off the counts
 * and adding their new ones. Candidates wait in a max-heap; an entry whose count has since changed
 * is put back with the current count when it surfaces, which is enough because counts only
 * fall except for pairs with the new token, and those are queued when they form.
 */
public final class BpeTrainer {
    public static final List<String> DEFAULT_SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    private final int vocabSize;
    private final int minFrequency;
    private final List<String> specialTokens;
    private final SpecialTokenSplitter specials;
    /** Distinct pre-tokens (as text) -> occurrences, in first-seen order. */
    private final Map<String, long[]> counts = new LinkedHashMap<>();
    private long chars;
    private long tokens = -1;

    /**
     * @param vocabSize     tokens wanted in all: special tokens + 256 byte symbols + merges
     * @param minFrequency  a pair must occur at least this often to be merged
     * @param specialTokens ids 0, 1, ... in this order; never split, never merged
     */
    public BpeTrainer(int vocabSize, int minFrequency, List<String> specialTokens) {
        Set<String> seen = new HashSet<>();
        for (String s : specialTokens) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("a special token cannot be empty");
            if (!seen.add(s)) throw new IllegalArgumentException("special token '" + s + "' is given twice");
            if (s.length() == 1 && Arrays.binarySearch(ByteLevel.alphabet(), s.charAt(0)) >= 0) {
                throw new IllegalArgumentException("special token '" + s + "' is a byte symbol of the alphabet");
            }
        }
        int least = specialTokens.size() + 256;
        if (vocabSize < least) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below the " + least + " tokens it starts with (256 bytes + "
                    + specialTokens.size() + " special tokens)");
        }
        if (minFrequency < 1) throw new IllegalArgumentException("minimum frequency must be at least 1, got " + minFrequency);
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
        this.specialTokens = List.copyOf(specialTokens);
        this.specials = new SpecialTokenSplitter(specialTokens);
    }

    /** Counts the pre-tokens of one text (special tokens in it are left out). */
    public void add(String text) {
        chars += text.length();
        specials.split(text, ordinary -> ByteLevel.split(ordinary, piece -> counts.computeIfAbsent(piece, p -> new long[1])[0]++), special -> { });
    }

    /** Characters added so far (UTF-16 units). */
    public long chars() { return chars; }

    /** Distinct pre-tokens counted so far. */
    public int distinctPreTokens() { return counts.size(); }

    /** Tokens the added text (special tokens left out) became under the last {@link #train}'s merges; -1 before. */
    public long tokens() { return tokens; }

    /** Learns the merges on what was added. */
    public BpeModel train() {
        List<String> vocab = new ArrayList<>(specialTokens);
        Map<String, Integer> ids = new HashMap<>();
        for (String s : specialTokens) ids.put(s, ids.size());
        for (char c : ByteLevel.alphabet()) {
            ids.put(String.valueOf(c), vocab.size());
            vocab.add(String.valueOf(c));
        }
        Words words = new Words(counts, ids);
        PriorityQueue<Candidate> heap = new PriorityQueue<>(Candidate.ORDER);
        words.pairCounts.forEach((pair, n) -> heap.add(new Candidate(n[0], pair)));

        List<int[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize && !heap.isEmpty()) {
            Candidate top = heap.poll();
            long now = words.count(top.pair());
            if (now != top.count()) {
                if (now > 0) heap.add(new Candidate(now, top.pair()));
                continue;
            }
            if (now < minFrequency) break;
            int left = (int) (top.pair() >>> 32), right = (int) top.pair();
            String token = vocab.get(left) + vocab.get(right);
            Integer merged = ids.get(token);
            if (merged == null) {
                merged = vocab.size();
                ids.put(token, merged);
                vocab.add(token);
            }
            merges.add(new int[] {left, right, merged});
            for (long formed : words.merge(left, right, merged, merges.size())) {
                heap.add(new Candidate(words.count(formed), formed));
            }
        }
        tokens = words.tokens();
        return new BpeModel(specialTokens, vocab, merges);
    }

    /** A pair and its count when it was queued; the most frequent first, then the smaller ids. */
    private record Candidate(long count, long pair) {
        static final Comparator<Candidate> ORDER = Comparator.comparingLong(Candidate::count).reversed().thenComparingLong(Candidate::pair);
    }

    /** The distinct pre-tokens as symbol ids, their counts, the pair counts and the index pair -> pre-tokens holding it. */
    private static final class Words {
        final int[][] symbols;
        final int[] length;
        final long[] weight;
        final Map<Long, long[]> pairCounts = new HashMap<>();
        final Map<Long, IntList> holders = new HashMap<>();
        /** The merge that last rewrote each pre-token, so that one listed twice is rewritten once. */
        final int[] stamp;

        Words(Map<String, long[]> counts, Map<String, Integer> ids) {
            int n = counts.size();
            symbols = new int[n][];
            length = new int[n];
            weight = new long[n];
            stamp = new int[n];
            int w = 0;
            for (Map.Entry<String, long[]> e : counts.entrySet()) {
                String letters = ByteLevel.toAlphabet(e.getKey());
                symbols[w] = new int[letters.length()];
                for (int i = 0; i < letters.length(); i++) symbols[w][i] = ids.get(String.valueOf(letters.charAt(i)));
                length[w] = letters.length();
                weight[w] = e.getValue()[0];
                for (int i = 0; i + 1 < length[w]; i++) {
                    long p = BpeModel.pair(symbols[w][i], symbols[w][i + 1]);
                    pairCounts.computeIfAbsent(p, k -> new long[1])[0] += weight[w];
                    holders.computeIfAbsent(p, k -> new IntList()).addOnce(w);
                }
                w++;
            }
        }

        long tokens() {
            long n = 0;
            for (int w = 0; w < length.length; w++) n += length[w] * weight[w];
            return n;
        }

        long count(long pair) {
            long[] n = pairCounts.get(pair);
            return n == null ? 0 : n[0];
        }

        /**
         * Rewrites every pre-token holding (left, right) with {@code merged}, left to right without
         * overlap, and updates the pair counts. Returns the pairs formed with {@code merged}.
         */
        Set<Long> merge(int left, int right, int merged, int mergeNumber) {
            Set<Long> formed = new HashSet<>();
            IntList holding = holders.remove(BpeModel.pair(left, right));
            for (int h = 0; h < holding.size; h++) {
                int w = holding.items[h];
                if (stamp[w] == mergeNumber) continue;
                stamp[w] = mergeNumber;
                int[] s = symbols[w];
                int n = length[w], kept = 0;
                boolean found = false;
                for (int i = 0; i + 1 < n && !found; i++) found = s[i] == left && s[i + 1] == right;
                if (!found) continue;       // an entry left from before an earlier merge rewrote it
                for (int i = 0; i + 1 < n; i++) add(BpeModel.pair(s[i], s[i + 1]), -weight[w]);
                for (int i = 0; i < n; i++) {
                    if (i + 1 < n && s[i] == left && s[i + 1] == right) {
                        s[kept++] = merged;
                        i++;
                    } else {
                        s[kept++] = s[i];
                    }
                }
                length[w] = kept;
                for (int i = 0; i + 1 < kept; i++) {
                    long p = BpeModel.pair(s[i], s[i + 1]);
                    add(p, weight[w]);
                    if (s[i] == merged || s[i + 1] == merged) {
                        formed.add(p);
                        holders.computeIfAbsent(p, k -> new IntList()).addOnce(w);
                    }
                }
            }
            return formed;
        }

        private void add(long pair, long delta) {
            long[] n = pairCounts.computeIfAbsent(pair, k -> new long[1]);
            n[0] += delta;
            if (n[0] == 0) pairCounts.remove(pair);
        }
    }

    /** A growable list of ints that skips an item equal to the last one added. */
    private static final class IntList {
        int[] items = new int[4];
        int size;

        void addOnce(int v) {
            if (size > 0 && items[size - 1] == v) return;
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = v;
        }
    }
}
