package dev.tune4j.data.clean;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class TextRulesTest {

    @Test
    void nfcComposesDecomposedCharacters() {
        String decomposed = "Cafe\u0301";                    // e + combining acute
        assertEquals("Caf\u00e9", TextRules.nfc(decomposed));
        String composed = "Caf\u00e9";
        assertSame(composed, TextRules.nfc(composed), "already normalised text is returned as is");
    }

    @Test
    void controlCharactersAndInvisibleFormattingGoButTabsNewlinesAndJoinersStay() {
        String in = "a\u0000b\u0007c\u001Bd\u0085e\u200Bf\uFEFFg\u00ADh\tI\nJ\u200Dk\ud800l";
        assertEquals("abcdefgh\tI\nJ\u200Dkl", TextRules.removeControl(in));
        String emoji = "family \uD83D\uDC68\u200D\uD83D\uDC69";
        assertSame(emoji, TextRules.removeControl(emoji), "surrogate pairs and ZWJ sequences are kept");
    }

    @Test
    void whitespaceIsNormalisedButIndentationAndParagraphsSurvive() {
        String in = "\r\n\r\n  Title\u00A0 here  \r\n\r\n\r\n\r\nbody\t\ttext   \rdef f():\n    return  1\n\n\n";
        assertEquals("Title here\n\nbody text\ndef f():\n    return 1", TextRules.whitespace(in));
        String clean = "already\n\nclean";
        assertSame(clean, TextRules.whitespace(clean));
    }
}
