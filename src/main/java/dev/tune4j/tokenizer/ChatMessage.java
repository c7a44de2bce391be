package dev.tune4j.tokenizer;

/** One message of a conversation, as chat templates see it: {@code role} (system, user, assistant, ...) and {@code content}. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null || role.isBlank()) throw new IllegalArgumentException("a chat message needs a role");
        if (content == null) throw new IllegalArgumentException("chat message (" + role + ") has no content");
    }
}
