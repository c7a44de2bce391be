package dev.tune4j.data.clean;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HtmlTextTest {

    @Test
    void onlyRealMarkupCountsAsHtml() {
        assertTrue(HtmlText.looksLikeHtml("<html><body>hi</body></html>"));
        assertTrue(HtmlText.looksLikeHtml("Hello<br>world"));
        assertTrue(HtmlText.looksLikeHtml("<P ALIGN=center>x</P>"));
        assertFalse(HtmlText.looksLikeHtml("if a < b and c > d then"));
        assertFalse(HtmlText.looksLikeHtml("I <3 you, see <https://example.com>"));
        assertFalse(HtmlText.looksLikeHtml("List<String> names = new ArrayList<>();"));
    }

    @Test
    void htmlBecomesTextWithBreaksAndDecodedEntities() {
        String html = "<html><head><title>T</title><style>p{color:red}</style><script>alert(1)</script></head>"
                + "<body><h1>Big&nbsp;news</h1><p>Fish &amp; chips,\n   cheap.</p><div>Line<br>break</div>"
                + "<table><tr><td>a</td><td>b</td></tr></table><pre>  keep\n   this</pre></body></html>";
        String text = TextRules.whitespace(HtmlText.toText(html));
        assertEquals("T\nBig news\n\nFish & chips, cheap.\n\nLine\nbreak\na b\n  keep\n   this", text);
    }
}
