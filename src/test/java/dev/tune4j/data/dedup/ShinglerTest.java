package dev.tune4j.data.dedup;

import dev.tune4j.data.ExactJaccard;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class ShinglerTest {
    final Shingler words = new Shingler(Shingler.Unit.WORD, 3);

    @Test
    void wordShinglesIgnoreCasePunctuationAndSpacing() {
        assertArrayEquals(words.shingles("The quick brown fox."), words.shingles("the   QUICK, brown -- fox"));
        assertNotEquals(words.shingles("quick brown fox the").length == 0, true);
        assertEquals(2, words.shingles("the quick brown fox").length);
        assertEquals(1, words.shingles("two words").length, "shorter than n: one shingle");
        assertEquals(0, words.shingles(" ... ").length);
    }

    @Test
    void wordOrderMatters() {
        assertEquals(0.0, Shingler.jaccard(words.shingles("a b c"), words.shingles("c b a")));
    }

    @Test
    void jaccardOverHashedShinglesEqualsTheStringOracle() {
        String a = "the cat sat on the mat and then the cat sat on the hat";
        String b = "the cat sat on the mat and then a dog sat on the hat";
        double expected = ExactJaccard.jaccard(ExactJaccard.shingles(a), ExactJaccard.shingles(b));
        assertEquals(expected, Shingler.jaccard(words.shingles(a), words.shingles(b)), 1e-12);
        assertEquals(1.0, Shingler.jaccard(words.shingles(a), words.shingles(a)));
    }

    @Test
    void charShinglesCollapseWhitespaceAndCase() {
        Shingler chars = new Shingler(Shingler.Unit.CHAR, 5);
        assertArrayEquals(chars.shingles("Hello  World"), chars.shingles("hello world"));
        assertEquals(7, chars.shingles("hello world").length);
    }
}
