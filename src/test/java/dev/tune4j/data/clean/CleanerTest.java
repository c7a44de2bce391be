package dev.tune4j.data.clean;

import dev.tune4j.data.Example;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Schema;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CleanerTest {

    static Example text(String t) {
        return new Example(new Origin("t", 1), Schema.TEXT, null, new String[] {t}, null, Map.of(), null);
    }

    @Test
    void everyRuleCountsTheRowsItChanged() {
        Cleaner c = new Cleaner(EnumSet.allOf(Cleaner.Rule.class), Cleaner.MailMode.AUTO, false);
        assertEquals("Café", c.clean(text("From: a@b.c\nSubject: s\n\n<p>Cafe\u0301</p>")).texts[0]);
        assertEquals("a b", c.clean(text("a\u0007  b")).texts[0]);
        assertEquals("plain", c.clean(text("plain")).texts[0]);
        Map<Cleaner.Rule, Long> n = c.changedCounts();
        assertEquals(1, n.get(Cleaner.Rule.MAIL));
        assertEquals(1, n.get(Cleaner.Rule.HTML));
        assertEquals(1, n.get(Cleaner.Rule.UNICODE_NFC));
        assertEquals(1, n.get(Cleaner.Rule.CONTROL_CHARS));
        assertEquals(2, n.get(Cleaner.Rule.WHITESPACE), "the html output's trailing newline and the double space");
    }

    @Test
    void aSwitchedOffRuleLeavesTextAlone() {
        Cleaner c = new Cleaner(EnumSet.of(Cleaner.Rule.WHITESPACE), Cleaner.MailMode.AUTO, false);
        assertEquals("<b>bold</b> x", c.clean(text("<b>bold</b>   x")).texts[0]);
        Cleaner off = new Cleaner(EnumSet.allOf(Cleaner.Rule.class), Cleaner.MailMode.OFF, false);
        assertEquals("From: a@b.c\nSubject: s\n\nbody", off.clean(text("From: a@b.c\nSubject: s\n\nbody")).texts[0]);
        assertEquals(0, off.changedCounts().get(Cleaner.Rule.MAIL));
    }

    @Test
    void forcedMailModeAppliesToTextWithoutHeaders() {
        Cleaner c = new Cleaner(EnumSet.of(Cleaner.Rule.MAIL), Cleaner.MailMode.ON, false);
        assertEquals("body\n", c.clean(text("------=_NextPart_000_0001\nbody\n")).texts[0]);
    }

    @Test
    void everySlotOfAChatRowIsCleaned() {
        Example chat = new Example(new Origin("t", 1), Schema.CHAT, new String[] {"user", "assistant"},
                new String[] {"  hi\u00A0there ", "<p>hello &amp; welcome</p>"}, null, Map.of(), null);
        Example out = new Cleaner(EnumSet.allOf(Cleaner.Rule.class), Cleaner.MailMode.AUTO, false).clean(chat);
        assertEquals("hi there", out.texts[0]);
        assertEquals("hello & welcome", out.texts[1]);
    }
}
