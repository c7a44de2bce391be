package dev.tune4j.data.dedup;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class ExactKeyTest {

    @Test
    void normalisationLowersCaseAndCollapsesWhitespaceOnly() {
        assertEquals("hello, wörld ünïcode 𐐨x", ExactKey.normalise("  Hello,\t\n WÖRLD\u00A0\u2003ÜNÏCODE 𐐀X \r\n"));
        assertEquals(ExactKey.of("Same  TEXT"), ExactKey.of("same text"));
        assertNotEquals(ExactKey.of("same text"), ExactKey.of("same text."), "punctuation counts");
        assertEquals(32, ExactKey.of("x").hex().length());
    }
}
