package dev.tune4j.recipe;

import dev.tune4j.data.Example;
import dev.tune4j.data.collate.ChatRows;
import dev.tune4j.data.collate.LmRows;
import dev.tune4j.data.collate.Packing;
import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.tokenizer.ChatMessage;
import dev.tune4j.tokenizer.ChatTemplate;
import dev.tune4j.tokenizer.Tokenizer;
import dev.tune4j.train.LmBatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Instruction tuning's rows: each instruction or chat example rendered through the chat template
 * ({@link ChatTemplate}), tokenized once, with loss on the assistant turns only ({@link ChatRows}),
 * optionally packed several to a row ({@link Packing}). Prompts for generation go through the same
 * template, with the generation prompt, so a model is prompted exactly as it was trained.
 */
final class SftRows {
    private final ChatTemplate template;
    private final Tokenizer tok;
    private final ChatRows.LossMode mode;
    private final int maxLength;
    private final String systemPrompt;
    private final boolean packing, packCut;
    /** What building the training rows did: counts for results.json. */
    final Map<String, Object> report = new LinkedHashMap<>();

    private SftRows(ChatTemplate template, Tokenizer tok, Recipe.Sft sft, int maxLength) {
        this.template = template;
        this.tok = tok;
        this.mode = ChatRows.LossMode.parse(sft.lossOn());
        this.maxLength = maxLength;
        this.systemPrompt = sft.systemPrompt();
        this.packing = sft.packing();
        this.packCut = sft.packCut();
    }

    static SftRows of(Recipe r, PretrainedModel base) {
        return new SftRows(template(r.sft().template(), base), base.requireTokenizer(), r.sft(), r.data().maxLength());
    }

    /**
     * The chat template a choice names: auto is the model's own (tokenizer_config.json or
     * chat_template.jinja), or ChatML with the model's special tokens when it has none; chatml,
     * llama3 and alpaca are the built-ins.
     */
    static ChatTemplate template(String choice, PretrainedModel base) {
        try {
            if (!choice.equals("auto")) return ChatTemplate.builtin(choice);
            return ChatTemplate.of(folder(base), "chatml");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chat template of " + base.spec() + ": " + e.getMessage(), e);
        }
    }

    /** The model's own chat template, or null when it has none. */
    static ChatTemplate ownTemplate(PretrainedModel base) {
        try {
            return ChatTemplate.of(folder(base));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().contains("has no chat_template")) return null;
            throw e;  // a template that is there but broken is the user's to fix, not to skip
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chat template of " + base.spec() + ": " + e.getMessage(), e);
        }
    }

    /** The folder the model's tokenizer files came from. */
    private static Path folder(PretrainedModel base) {
        Path spec = Path.of(base.spec());
        if (Files.isDirectory(spec)) return spec;
        for (Path f : base.sourceFiles()) if (f.getParent() != null) return f.getParent();
        throw new IllegalArgumentException(base.spec() + ": instruction tuning needs a model folder with its tokenizer files");
    }

    ChatTemplate template() { return template; }

    /** Rows of the examples; under packing, rows of several examples each. Examples whose every response token was cut are dropped. */
    List<LmBatch> rows(List<Example> examples) {
        List<LmBatch> rows = new ArrayList<>();
        int truncated = 0, dropped = 0;
        long lossTokens = 0, tokens = 0;
        for (Example e : examples) {
            ChatRows.Row row = ChatRows.encode(tok, template, ChatRows.messages(e, systemPrompt), mode, maxLength);
            if (row.truncated()) truncated++;
            if (!row.hasLoss()) {
                dropped++;
                continue;
            }
            lossTokens += row.lossTokens();
            tokens += row.ids().length;
            rows.add(LmRows.row(row.ids(), row.labels(LmBatch.IGNORE), null, null));
        }
        if (report.isEmpty()) {
            report.put("template", template.name());
            report.put("loss_on", mode.id);
            report.put("examples", examples.size());
            report.put("truncated", truncated);
            report.put("dropped_without_response_tokens", dropped);
            report.put("loss_token_fraction", tokens == 0 ? 0 : (double) lossTokens / tokens);
        }
        if (!packing || rows.isEmpty()) return rows;
        Packing.Result packed = Packing.pack(rows, maxLength, packCut);
        if (!report.containsKey("packed_rows")) {
            report.put("packed_rows", packed.rows().size());
            report.put("packing_fill", packed.fill());
        }
        return packed.rows();
    }

    /**
     * A prompt and one completion as a row with loss on the completion only (each side of a
     * preference pair), or null when truncation to max_length left no completion token.
     */
    LmBatch completionRow(String prompt, String completion) {
        List<ChatMessage> messages = new ArrayList<>();
        if (systemPrompt != null && !systemPrompt.isBlank()) messages.add(new ChatMessage("system", systemPrompt));
        messages.add(new ChatMessage("user", prompt));
        messages.add(new ChatMessage("assistant", completion));
        ChatRows.Row row = ChatRows.encode(tok, template, messages, ChatRows.LossMode.LAST_TURN, maxLength);
        return row.hasLoss() ? LmRows.row(row.ids(), row.labels(LmBatch.IGNORE), null, null) : null;
    }

    /** A user message rendered with the generation prompt, as training rendered its conversations. */
    static PromptEncoder promptEncoder(ChatTemplate template, Tokenizer tok, String systemPrompt) {
        return prompt -> {
            List<ChatMessage> messages = new ArrayList<>();
            if (systemPrompt != null && !systemPrompt.isBlank()) messages.add(new ChatMessage("system", systemPrompt));
            messages.add(new ChatMessage("user", prompt));
            return tok.encode(template.render(messages, true).text(), Integer.MAX_VALUE, false).ids();
        };
    }

    /** The token the template closes an assistant turn with (e.g. <|im_end|>, <|eot_id|>): generation stops on it. */
    static List<String> endOfTurn(ChatTemplate template) {
        ChatTemplate.Rendered probe = template.render(List.of(new ChatMessage("user", "x"), new ChatMessage("assistant", "y")), false);
        List<String> out = new ArrayList<>();
        for (ChatTemplate.Span s : probe.spans()) {
            String marker = probe.text().substring(s.contentEnd(), s.endOfTurnEnd()).strip();
            if (!marker.isEmpty() && !out.contains(marker)) out.add(marker);
        }
        return out;
    }
}
