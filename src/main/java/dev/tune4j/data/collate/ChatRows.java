package dev.tune4j.data.collate;

import dev.tune4j.data.Example;
import dev.tune4j.tokenizer.ChatMessage;
import dev.tune4j.tokenizer.ChatTemplate;
import dev.tune4j.tokenizer.ChatTemplate.Rendered;
import dev.tune4j.tokenizer.ChatTemplate.Span;
import dev.tune4j.tokenizer.Encoding;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Conversations as supervised fine-tuning rows: the rendered text is tokenized once, with offsets
 * and without the tokenizer's own special tokens (the template wrote bos and the rest, as
 * transformers does with {@code add_special_tokens=False}), and the loss mask follows from the
 * assistant spans by character position, never by token id, so an eos that doubles as the pad
 * token still carries loss.
 *
 * <p>A token carries loss when any of its characters lies in a loss region (an assistant content
 * and its end-of-turn marker). A token straddling the start of a content (a template space merged
 * with the first word, as in {@code " Hello"}) is therefore trained: it is the first thing the model
 * has to produce after the header.
 */
public final class ChatRows {

    /** Which tokens carry loss; recipe names {@code all_assistant}, {@code last_turn}, {@code all}. */
    public enum LossMode {
        /** Every assistant content and its end-of-turn marker. */
        ALL_ASSISTANT("all_assistant"),
        /** The last assistant turn only (earlier turns are context). */
        LAST_TURN("last_turn"),
        /** Every token, prompts and headers included. */
        EVERYTHING("all");

        public final String id;

        LossMode(String id) { this.id = id; }

        public static LossMode parse(String id) {
            for (LossMode m : values()) if (m.id.equals(id.trim().toLowerCase(Locale.ROOT))) return m;
            throw new IllegalArgumentException("unknown loss mode '" + id + "' (expected all_assistant, last_turn or all)");
        }
    }

    /**
     * One row: {@code lossMask[i] == 1} when token i is a prediction target (learned from the
     * tokens before it); {@code truncated} when tokens were cut from the right to fit.
     */
    public record Row(int[] ids, int[] lossMask, boolean truncated) {
        public int lossTokens() {
            int n = 0;
            for (int m : lossMask) n += m;
            return n;
        }

        /** False when no token carries loss (e.g. truncation cut every response token): such a row teaches nothing and is dropped. */
        public boolean hasLoss() { return lossTokens() > 0; }

        /** Next-token labels: {@code labels[i] = ids[i + 1]} where token i + 1 carries loss, else {@code ignore} (the last position too). */
        public int[] labels(int ignore) {
            int[] labels = new int[ids.length];
            for (int i = 0; i < ids.length; i++) labels[i] = i + 1 < ids.length && lossMask[i + 1] == 1 ? ids[i + 1] : ignore;
            return labels;
        }
    }

    private ChatRows() { }

    /** Renders {@code messages} with {@code template} (no generation prompt) and encodes the result. */
    public static Row encode(Tokenizer tokenizer, ChatTemplate template, List<ChatMessage> messages, LossMode mode, int maxLength) {
        return encode(tokenizer, template.render(messages, false), mode, maxLength);
    }

    /** Tokenizes the rendered text once and masks it by {@code mode}, keeping at most {@code maxLength} tokens from the left. */
    public static Row encode(Tokenizer tokenizer, Rendered rendered, LossMode mode, int maxLength) {
        if (maxLength < 1) throw new IllegalArgumentException("max length must be >= 1, got " + maxLength);
        Encoding e = tokenizer.encode(rendered.text(), Integer.MAX_VALUE, false);
        List<Span> regions = switch (mode) {
            case ALL_ASSISTANT -> rendered.spans();
            case LAST_TURN -> rendered.spans().isEmpty() ? List.of() : List.of(rendered.spans().getLast());
            case EVERYTHING -> List.of(new Span(-1, 0, 0, rendered.text().length()));
        };
        int n = e.length();
        int[] mask = new int[n];
        for (int i = 0; i < n; i++) mask[i] = inLossRegion(e.offsets()[i], regions) ? 1 : 0;
        if (n <= maxLength) return new Row(e.ids(), mask, false);
        return new Row(Arrays.copyOf(e.ids(), maxLength), Arrays.copyOf(mask, maxLength), true);
    }

    /** Whether token characters [start, end) meet a region [contentStart, endOfTurnEnd); an empty token counts where it sits. */
    private static boolean inLossRegion(int[] offset, List<Span> regions) {
        int start = offset[0], end = offset[1];
        for (Span r : regions) {
            boolean overlaps = start < r.endOfTurnEnd() && end > r.contentStart();
            boolean emptyInside = start == end && start >= r.contentStart() && start < r.endOfTurnEnd();
            if (overlaps || emptyInside) return true;
        }
        return false;
    }

    /**
     * A prepared row as a conversation: an instruction row becomes a user message (the
     * instruction, then a blank line and the input when there is one) and the assistant's output;
     * a chat row keeps its messages. {@code systemPrompt} (null or blank: none) goes first unless
     * the conversation opens with its own system message.
     */
    public static List<ChatMessage> messages(Example example, String systemPrompt) {
        List<ChatMessage> messages = new ArrayList<>();
        switch (example.schema) {
            case INSTRUCTION -> {
                String input = example.texts[1] == null ? "" : example.texts[1];
                messages.add(new ChatMessage("user", input.isEmpty() ? example.texts[0] : example.texts[0] + "\n\n" + input));
                messages.add(new ChatMessage("assistant", example.texts[2]));
            }
            case CHAT -> {
                for (int i = 0; i < example.texts.length; i++) messages.add(new ChatMessage(example.roles[i], example.texts[i]));
            }
            default -> throw new IllegalArgumentException(example.origin + ": a " + example.schema.id()
                    + " row is not a conversation (instruction tuning takes instruction or chat rows; plain text trains with task: causal_lm)");
        }
        boolean hasSystem = !messages.isEmpty() && messages.getFirst().role().equals("system");
        if (systemPrompt != null && !systemPrompt.isBlank() && !hasSystem) messages.addFirst(new ChatMessage("system", systemPrompt));
        return messages;
    }
}
