package dev.tune4j.audit;

import java.util.List;

/**
 * How a prompt and its response become the one text a decoder reads: the seam a chat template
 * plugs into. The response audit scores only the characters {@code [responseStart, responseEnd)}
 * of the rendered text, so a format may add anything around them (role markers, a generation
 * prompt, an end-of-turn token) without changing what is scored.
 */
public interface PromptFormat {
    /** One message of the prompt: a role (system, user, assistant, ...) and its text. */
    record Turn(String role, String content) {}

    /** The rendered text and where the response sits in it (UTF-16 offsets, end exclusive). */
    record Rendered(String text, int responseStart, int responseEnd) {
        public Rendered {
            if (responseStart < 0 || responseEnd < responseStart || responseEnd > text.length()) {
                throw new IllegalArgumentException("response span [" + responseStart + ", " + responseEnd + ") outside a text of " + text.length() + " chars");
            }
        }
    }

    Rendered render(List<Turn> prompt, String response);

    /**
     * The format until a model's chat template is used: the prompt messages' texts separated by a
     * blank line, a blank line, then the response ("prompt\n\nresponse"); roles are not written.
     */
    static PromptFormat plain() {
        return (prompt, response) -> {
            StringBuilder sb = new StringBuilder();
            for (Turn t : prompt) {
                if (t.content().isEmpty()) continue;
                if (!sb.isEmpty()) sb.append("\n\n");
                sb.append(t.content());
            }
            if (!sb.isEmpty()) sb.append("\n\n");
            int start = sb.length();
            sb.append(response);
            return new Rendered(sb.toString(), start, sb.length());
        };
    }

    /**
     * The model's chat template, as instruction tuning renders a conversation: the prompt turns and
     * the response as the assistant's turn; the response's span is the assistant content the
     * template wrote (its end-of-turn token is not scored).
     */
    static PromptFormat chat(dev.tune4j.tokenizer.ChatTemplate template) {
        return (prompt, response) -> {
            List<dev.tune4j.tokenizer.ChatMessage> messages = new java.util.ArrayList<>();
            for (Turn t : prompt) messages.add(new dev.tune4j.tokenizer.ChatMessage(t.role(), t.content()));
            messages.add(new dev.tune4j.tokenizer.ChatMessage("assistant", response));
            dev.tune4j.tokenizer.ChatTemplate.Rendered r = template.render(messages, false);
            dev.tune4j.tokenizer.ChatTemplate.Span last = r.spans().getLast();
            return new Rendered(r.text(), last.contentStart(), last.contentEnd());
        };
    }
}
