package dev.tune4j.data.clean;

import dev.tune4j.data.Example;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Applies the cleaning rules, in a fixed order, to every text slot of a row and counts, per rule,
 * how many rows it changed. Mail runs first (it can uncover HTML), NFC before control-character
 * removal (composition can only merge, never create, controls), whitespace last.
 */
public final class Cleaner {

    /** The cleaning rules in the order they run; {@link #id()} is the name used in reports and on the command line. */
    public enum Rule {
        MAIL, HTML, UNICODE_NFC, CONTROL_CHARS, WHITESPACE;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** When the mail rule applies: to text that looks like an e-mail, to all text, or never. */
    public enum MailMode { AUTO, ON, OFF }

    private final Set<Rule> enabled;
    private final MailMode mailMode;
    private final boolean keepSubject;
    private final Map<Rule, long[]> changed = new EnumMap<>(Rule.class);

    public Cleaner(Set<Rule> enabled, MailMode mailMode, boolean keepSubject) {
        this.enabled = enabled.isEmpty() ? EnumSet.noneOf(Rule.class) : EnumSet.copyOf(enabled);
        if (mailMode == MailMode.OFF) this.enabled.remove(Rule.MAIL);
        this.mailMode = mailMode;
        this.keepSubject = keepSubject;
        for (Rule r : Rule.values()) changed.put(r, new long[1]);
    }

    public boolean enabled(Rule r) {
        return enabled.contains(r);
    }

    /** Cleans one row. Not thread-safe (counters); the pipeline calls it from one thread per Cleaner. */
    public Example clean(Example e) {
        String[] texts = e.texts.clone();
        for (Rule r : Rule.values()) {
            if (!enabled.contains(r)) continue;
            boolean any = false;
            for (int i = 0; i < texts.length; i++) {
                String before = texts[i];
                String after = apply(r, before);
                if (!after.equals(before)) {
                    texts[i] = after;
                    any = true;
                }
            }
            if (any) changed.get(r)[0]++;
        }
        return e.withTexts(texts);
    }

    /** One text through every enabled rule, as a row's slot would go (for new input at prediction time). */
    public String cleanText(String s) {
        for (Rule r : Rule.values()) if (enabled.contains(r)) s = apply(r, s);
        return s;
    }

    private String apply(Rule r, String s) {
        return switch (r) {
            case MAIL -> (mailMode == MailMode.ON || MailText.looksLikeMail(s)) ? MailText.toText(s, keepSubject) : s;
            case HTML -> HtmlText.looksLikeHtml(s) ? HtmlText.toText(s) : s;
            case UNICODE_NFC -> TextRules.nfc(s);
            case CONTROL_CHARS -> TextRules.removeControl(s);
            case WHITESPACE -> TextRules.whitespace(s);
        };
    }

    /** Rows changed by each rule so far. */
    public Map<Rule, Long> changedCounts() {
        Map<Rule, Long> out = new EnumMap<>(Rule.class);
        for (Map.Entry<Rule, long[]> en : changed.entrySet()) out.put(en.getKey(), en.getValue()[0]);
        return out;
    }

    /** Adds another cleaner's counts (cleaners run one per worker). */
    public void addCounts(Cleaner other) {
        for (Rule r : Rule.values()) changed.get(r)[0] += other.changed.get(r)[0];
    }
}
