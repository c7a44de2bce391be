package dev.tune4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class BpeTrainerTest {
    static final List<String> NO_SPECIALS = List.of();

    private static List<String> merges(BpeModel m) {
        return m.merges().stream().map(p -> p[0] + " " + p[1]).toList();
    }

    /**
     * "abab abab ab" is the pre-tokens abab, Ġabab, Ġab. (a, b) occurs 5 times; then (ab, ab) and
     * (Ġ, ab) twice each, and the tie goes to the smaller left id: Ġ, a byte symbol, before ab, a
     * merge; then (ab, ab) and (Ġab, ab) once each, ab being the older token. Encoding applies the
     * lowest rank first: " ababab" is Ġ ab ab ab, then Ġab ab ab, then Ġab abab (rank 2 before 3).
     */
    @Test
    void aHandComputedCorpusLearnsTheMergesInOrder() {
        BpeTrainer t = new BpeTrainer(256 + 10, 1, NO_SPECIALS);
        t.add("abab abab ab");
        BpeModel m = t.train();
        assertEquals(List.of("a b", "Ġ ab", "ab ab", "Ġab ab"), merges(m));
        assertEquals(List.of("ab", "Ġab", "abab", "Ġabab"), m.vocab().subList(256, m.vocabSize()));
        assertArrayEquals(new int[]{256 + 2, 256 + 1, 256 + 2, 256 + 1}, m.encode("abab ababab ab"));
    }

    @Test
    void minimumFrequencyAndVocabularySizeStopTheMerges() {
        BpeTrainer rare = new BpeTrainer(256 + 10, 2, NO_SPECIALS);
        rare.add("abab abab ab");
        assertEquals(List.of("a b", "Ġ ab"), merges(rare.train()));
        BpeTrainer small = new BpeTrainer(256 + 1, 1, NO_SPECIALS);
        small.add("abab abab ab");
        assertEquals(List.of("a b"), merges(small.train()));
    }

    @Test
    void specialTokensComeFirstAreNeverLearnedFromAndEncodeAsOneId() {
        BpeTrainer t = new BpeTrainer(300, 1, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        t.add("<|im_start|>user<|im_end|><|endoftext|><|endoftext|><|endoftext|>");
        BpeModel m = t.train();
        assertEquals(BpeTrainer.DEFAULT_SPECIAL_TOKENS, m.vocab().subList(0, 3));
        for (String[] merge : m.merges()) assertFalse(String.join("", merge).contains("|"), "learned from a special token: " + String.join(" ", merge));
        assertArrayEquals(new int[]{1, m.encode("user")[0], 2, 0}, new int[]{m.encode("<|im_start|>user")[0], m.encode("user")[0],
                m.encode("<|im_end|>")[0], m.encode("<|endoftext|>")[0]});
        assertEquals("<|im_start|>user<|im_end|>", m.decode(m.encode("<|im_start|>user<|im_end|>")));
    }

    @Test
    void incrementalCountsLearnWhatAFullRecountPerMergeLearns() {
        SplittableRandom rng = new SplittableRandom(3);
        String letters = "aabbbcdde ";
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = rng.nextInt(40); j > 0; j--) sb.append(letters.charAt(rng.nextInt(letters.length())));
            texts.add(sb.toString());
        }
        BpeTrainer t = new BpeTrainer(256 + 120, 1, NO_SPECIALS);
        texts.forEach(t::add);
        assertEquals(recount(texts, 120), merges(t.train()));
    }

    /** The reference: every pre-token as a list of strings, all pairs recounted before each merge, ties to the smaller ids. */
    private static List<String> recount(List<String> texts, int n) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String text : texts) ByteLevel.split(text, p -> counts.merge(ByteLevel.toAlphabet(p), 1L, Long::sum));
        Map<String, Integer> ids = new HashMap<>();
        for (char c : ByteLevel.alphabet()) ids.put(String.valueOf(c), ids.size());
        List<List<String>> words = new ArrayList<>();
        List<Long> weights = new ArrayList<>();
        counts.forEach((w, c) -> {
            words.add(new ArrayList<>(w.chars().mapToObj(ch -> String.valueOf((char) ch)).toList()));
            weights.add(c);
        });
        List<String> out = new ArrayList<>();
        for (int step = 0; step < n; step++) {
            Map<List<String>, Long> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                for (int i = 0; i + 1 < words.get(w).size(); i++) pairs.merge(List.of(words.get(w).get(i), words.get(w).get(i + 1)), weights.get(w), Long::sum);
            }
            List<String> best = null;
            for (var e : pairs.entrySet()) {
                if (best == null || e.getValue() > pairs.get(best) || e.getValue().equals(pairs.get(best)) && smaller(e.getKey(), best, ids)) best = e.getKey();
            }
            if (best == null) break;
            out.add(best.get(0) + " " + best.get(1));
            String merged = best.get(0) + best.get(1);
            ids.putIfAbsent(merged, ids.size());
            for (List<String> word : words) {
                for (int i = 0; i + 1 < word.size(); i++) {
                    if (word.get(i).equals(best.get(0)) && word.get(i + 1).equals(best.get(1))) {
                        word.set(i, merged);
                        word.remove(i + 1);
                    }
                }
            }
        }
        return out;
    }

    private static boolean smaller(List<String> a, List<String> b, Map<String, Integer> ids) {
        int l = Integer.compare(ids.get(a.get(0)), ids.get(b.get(0)));
        return l != 0 ? l < 0 : ids.get(a.get(1)) < ids.get(b.get(1));
    }

    @Test
    void theSameInputGivesTheSameModel() {
        List<String> texts = List.of("The whale, the whale!", "Call me Ishmael. Some years ago", "ships and whales and whaling ships");
        BpeTrainer a = new BpeTrainer(320, 1, BpeTrainer.DEFAULT_SPECIAL_TOKENS), b = new BpeTrainer(320, 1, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        texts.forEach(a::add);
        texts.forEach(b::add);
        BpeModel ma = a.train(), mb = b.train();
        assertEquals(ma.vocab(), mb.vocab());
        assertEquals(merges(ma), merges(mb));
    }

    @Test
    void badSettingsAreRefusedWithTheReason() {
        var small = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(258, 1, BpeTrainer.DEFAULT_SPECIAL_TOKENS));
        assertTrue(small.getMessage().contains("259"), small.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 0, NO_SPECIALS));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 1, List.of("<s>", "<s>")));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 1, List.of("")));
    }
}
