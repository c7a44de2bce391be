package dev.tune4j.tokenizer;

import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Cuts special tokens out of text before anything else sees it, as the tokenizers library does with
 * special added tokens: at each point the leftmost occurrence wins, and of those starting there the
 * longest. The text between them is ordinary text.
 */
final class SpecialTokenSplitter {
    private final Pattern pattern;

    SpecialTokenSplitter(List<String> specialTokens) {
        // Java takes the first alternative that matches at a position: longest first makes it the longest.
        this.pattern = specialTokens.isEmpty() ? null : Pattern.compile(specialTokens.stream()
                .sorted(Comparator.comparingInt(String::length).reversed()).map(Pattern::quote).collect(Collectors.joining("|")));
    }

    /** Hands the pieces of {@code text} in order: ordinary stretches (never empty) to one consumer, special tokens to the other. */
    void split(String text, Consumer<String> ordinary, Consumer<String> special) {
        int from = 0;
        if (pattern != null) {
            Matcher m = pattern.matcher(text);
            while (m.find()) {
                if (m.start() > from) ordinary.accept(text.substring(from, m.start()));
                special.accept(m.group());
                from = m.end();
            }
        }
        if (from < text.length()) ordinary.accept(text.substring(from));
    }
}
