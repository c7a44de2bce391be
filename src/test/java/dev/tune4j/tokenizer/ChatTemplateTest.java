package dev.tune4j.tokenizer;

import dev.tune4j.tokenizer.ChatTemplate.Rendered;
import dev.tune4j.tokenizer.ChatTemplate.Span;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renders the chat templates of real models (src/test/resources/chat-templates, sources in its
 * README) and compares with the text transformers' apply_chat_template writes for them.
 */
class ChatTemplateTest {
    static final String SYSTEM = "You are a concise assistant.";
    static final List<ChatMessage> CHAT = List.of(
            new ChatMessage("system", SYSTEM),
            new ChatMessage("user", "What is the capital of France?"),
            new ChatMessage("assistant", "Paris."),
            new ChatMessage("user", "And of Italy?"),
            new ChatMessage("assistant", "Rome."));
    static final List<ChatMessage> NO_SYSTEM = CHAT.subList(1, CHAT.size());

    static ChatTemplate model(String folder) throws Exception {
        return ChatTemplate.of(Path.of(ChatTemplateTest.class.getResource("/chat-templates/" + folder).toURI()));
    }

    static String chatml(String system) {
        return "<|im_start|>system\n" + system + "<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                + "<|im_start|>assistant\nParis.<|im_end|>\n"
                + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                + "<|im_start|>assistant\nRome.<|im_end|>\n";
    }

    static String llama3(String systemHeader) {
        return "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + systemHeader + SYSTEM + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nRome.<|eot_id|>";
    }

    static final String LLAMA3_PROMPT = "<|start_header_id|>assistant<|end_header_id|>\n\n";

    @Test
    void qwen25RendersTheConversationAsTransformersDoes() throws Exception {
        ChatTemplate qwen = model("Qwen2.5-0.5B-Instruct");
        assertEquals(chatml(SYSTEM), qwen.render(CHAT, false).text());
        assertEquals(chatml(SYSTEM) + "<|im_start|>assistant\n", qwen.render(CHAT, true).text());
        assertEquals("Qwen2.5-0.5B-Instruct/tokenizer_config.json", qwen.name());
    }

    @Test
    void qwen25InjectsItsDefaultSystemPromptWhenTheConversationHasNone() throws Exception {
        String qwenSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
        assertEquals(chatml(qwenSystem), model("Qwen2.5-0.5B-Instruct").render(NO_SYSTEM, false).text());
    }

    @Test
    void metaLlama3RendersHeadersAndEotTokens() throws Exception {
        ChatTemplate llama = model("Meta-Llama-3-8B-Instruct");
        assertEquals(llama3(""), llama.render(CHAT, false).text());
        assertEquals(llama3("") + LLAMA3_PROMPT, llama.render(CHAT, true).text());
    }

    @Test
    void llama31AddsTheCuttingKnowledgeHeaderWithItsFixedDate() throws Exception {
        ChatTemplate llama = model("Llama-3.1-8B-Instruct");
        String header = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        assertEquals(llama3(header), llama.render(CHAT, false).text());
        assertEquals(llama3(header) + LLAMA3_PROMPT, llama.render(CHAT, true).text());
    }

    @Test
    void llama32DatesTheSystemHeaderWithStrftimeNow() throws Exception {
        ChatTemplate llama = model("Llama-3.2-3B-Instruct");
        DateTimeFormatter python = DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH);
        String before = LocalDate.now().format(python);
        String text = llama.render(CHAT, true).text();
        String after = LocalDate.now().format(python);
        String header = "Cutting Knowledge Date: December 2023\nToday Date: %s\n\n";
        assertTrue(text.equals(llama3(header.formatted(before)) + LLAMA3_PROMPT) || text.equals(llama3(header.formatted(after)) + LLAMA3_PROMPT), text);
    }

    @Test
    void smolLm2RendersChatMlAndInjectsItsDefaultSystemPrompt() throws Exception {
        ChatTemplate smol = model("SmolLM2-135M-Instruct");
        assertEquals(chatml(SYSTEM), smol.render(CHAT, false).text());
        assertEquals(chatml(SYSTEM) + "<|im_start|>assistant\n", smol.render(CHAT, true).text());
        String smolSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";
        assertEquals(chatml(smolSystem), smol.render(NO_SYSTEM, false).text());
    }

    @Test
    void qwen3WritesAnEmptyThinkBlockIntoTheAnswerAfterTheLastQuestion() throws Exception {
        // Qwen3's template walks messages[::-1] and calls startswith/endswith/split/lstrip on strings.
        ChatTemplate qwen3 = model("Qwen3-8B");
        String expected = chatml(SYSTEM).replace("<|im_start|>assistant\nRome.", "<|im_start|>assistant\n<think>\n\n</think>\n\nRome.");
        assertEquals(expected, qwen3.render(CHAT, false).text());
        Rendered r = qwen3.render(CHAT, true);
        assertEquals(expected + "<|im_start|>assistant\n", r.text());
        Span last = r.spans().getLast();
        assertEquals("Rome.<|im_end|>", r.text().substring(last.contentStart(), last.endOfTurnEnd()));
    }

    @Test
    void stringsHavePythonsMethods() {
        ChatTemplate t = ChatTemplate.fromSource("py", "{% set c = messages[0].content %}{{ c.startswith('<a>') }} {{ c.endswith(('x', '</b>')) }}"
                + " [{{ c.split('</a>')[-1].lstrip('\\n') }}] [{{ ' x y '.split() | join(',') }}] [{{ '--a--'.strip('-') }}] {{ 'hello world'.title() }}"
                + " {{ 'Abc'.upper() }}{{ 'Abc'.lower() }} {{ '-'.join(['a', 'b']) }} {{ 'a.b.c'.split('.', 1) | length }}", null, null);
        assertEquals("true true [rest</b>] [x,y] [a] Hello World ABCabc a-b 2",
                t.render(List.of(new ChatMessage("user", "<a>think</a>\n\nrest</b>")), false).text());
    }

    @Test
    void spansCoverEachAnswerAndTheEndOfTurnTokenAfterItButNotTheNewline() throws Exception {
        String[][] models = {
                {"Qwen2.5-0.5B-Instruct", "<|im_end|>"}, {"SmolLM2-135M-Instruct", "<|im_end|>"},
                {"Meta-Llama-3-8B-Instruct", "<|eot_id|>"}, {"Llama-3.1-8B-Instruct", "<|eot_id|>"}, {"Llama-3.2-3B-Instruct", "<|eot_id|>"}};
        for (String[] m : models) {
            for (boolean prompt : new boolean[]{false, true}) {
                Rendered r = model(m[0]).render(CHAT, prompt);
                assertEquals(List.of(2, 4), r.spans().stream().map(Span::turn).toList(), m[0]);
                assertFalse(r.eosAppended(), m[0]);
                for (Span s : r.spans()) {
                    assertEquals(CHAT.get(s.turn()).content(), r.text().substring(s.contentStart(), s.contentEnd()), m[0]);
                    assertEquals(m[1], r.text().substring(s.contentEnd(), s.endOfTurnEnd()), m[0]);
                }
            }
        }
        Rendered qwen = model("Qwen2.5-0.5B-Instruct").render(CHAT, false);
        assertEquals('\n', qwen.text().charAt(qwen.spans().getLast().endOfTurnEnd()), "the newline after <|im_end|> is not part of the turn");
    }

    @Test
    void answersThatTheTemplateTrimsStillMapToTheirText() throws Exception {
        List<ChatMessage> padded = List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "  \n Hello there.\n\n"));
        Rendered r = model("Meta-Llama-3-8B-Instruct").render(padded, false);
        Span s = r.spans().getFirst();
        assertEquals("Hello there.", r.text().substring(s.contentStart(), s.contentEnd()));
        assertEquals("<|eot_id|>", r.text().substring(s.contentEnd(), s.endOfTurnEnd()));
    }

    @Test
    void aTemplateThatRewritesAnswersIsRefusedByName() {
        ChatTemplate upper = ChatTemplate.fromSource("shouty", "{% for m in messages %}{{ m.content | upper }}{{ eos_token }}{% endfor %}", null, "</s>");
        var e = assertThrows(IllegalArgumentException.class, () -> upper.render(List.of(new ChatMessage("user", "hi"), new ChatMessage("assistant", "ok")), false));
        assertTrue(e.getMessage().startsWith("chat template shouty changes the content of assistant turn 1"), e.getMessage());
    }

    @Test
    void eosIsAppendedWhereTheTemplateEndsATurnWithoutAMarker() {
        ChatTemplate plain = ChatTemplate.fromSource("plain", "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", null, "</s>");
        Rendered r = plain.render(List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello"), new ChatMessage("user", "Bye"),
                new ChatMessage("assistant", "Ciao")), false);
        assertEquals("user: Hi\nassistant: Hello</s>\nuser: Bye\nassistant: Ciao</s>\n", r.text());
        assertTrue(r.eosAppended());
        int hello = r.text().indexOf("Hello"), ciao = r.text().indexOf("Ciao");
        assertEquals(List.of(new Span(1, hello, hello + 5, hello + 9), new Span(3, ciao, ciao + 4, ciao + 8)), r.spans());
    }

    @Test
    void aTemplateWithoutMarkerOrEosIsRefused() {
        ChatTemplate plain = ChatTemplate.fromSource("bare", "{% for m in messages %}{{ m.content }}\n{% endfor %}", null, null);
        var e = assertThrows(IllegalArgumentException.class, () -> plain.render(List.of(new ChatMessage("user", "a"), new ChatMessage("assistant", "b")), false));
        assertTrue(e.getMessage().contains("writes no end-of-turn token after assistant turn 1"), e.getMessage());
    }

    @Test
    void spacesBeforeTheEndOfTurnTokenBelongToTheTurn() {
        // Llama 2 writes ' ' + content + ' ' + eos_token: the model must learn " </s>"
        ChatTemplate llama2 = ChatTemplate.fromSource("llama2", "{% for m in messages %}{% if m.role == 'user' %}{{ bos_token + '[INST] ' + m.content + ' [/INST]' }}"
                + "{% else %}{{ ' ' + m.content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}", "<s>", "</s>");
        Rendered r = llama2.render(List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")), false);
        assertEquals("<s>[INST] Hi [/INST] Hello </s>", r.text());
        int hello = r.text().indexOf("Hello");
        assertEquals(new Span(1, hello, hello + 5, hello + 10), r.spans().getFirst());
    }

    @Test
    void raiseExceptionBecomesOneLineNamingTheTemplate() {
        ChatTemplate mistral = ChatTemplate.fromSource("mistral", "{{ bos_token }}{% for message in messages %}"
                + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "{{ message['content'] }}{% endfor %}", "<s>", "</s>");
        var e = assertThrows(IllegalArgumentException.class, () -> mistral.render(List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")), false));
        assertEquals("chat template mistral: raise_exception: Conversation roles must alternate user/assistant/user/assistant/...", e.getMessage());
    }

    @Test
    void templateErrorsAreOneLineNamingTheTemplate() {
        // the block structure is checked when the template loads, expressions when it renders
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromSource("unclosed", "{% for m in messages %}\n{% if true %}{% endfor %}", null, null));
        assertTrue(e.getMessage().startsWith("chat template unclosed: ") && e.getMessage().contains("Mismatched end tag"), e.getMessage());
        ChatTemplate empty = ChatTemplate.fromSource("empty-if", "{% for m in messages %}\n{% if %}{% endif %}{% endfor %}", null, null);
        e = assertThrows(IllegalArgumentException.class, () -> empty.render(List.of(new ChatMessage("user", "a")), false));
        assertTrue(e.getMessage().startsWith("chat template empty-if: Syntax error in '{% if %}'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        ChatTemplate filter = ChatTemplate.fromSource("filter", "{% for m in messages %}{{ m.content | no_such_filter }}{% endfor %}", null, null);
        e = assertThrows(IllegalArgumentException.class, () -> filter.render(List.of(new ChatMessage("user", "a")), false));
        assertEquals("chat template filter: unknown filter 'no_such_filter'", e.getMessage());
    }

    @Test
    void loopControlsBreakAndContinue() {
        ChatTemplate t = ChatTemplate.fromSource("loops", "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
                + "{% if loop.index0 > 2 %}{% break %}{% endif %}{{ m.content }};{% endfor %}", null, null);
        List<ChatMessage> chat = List.of(new ChatMessage("system", "s"), new ChatMessage("user", "u1"), new ChatMessage("system", "s"),
                new ChatMessage("user", "u2"), new ChatMessage("user", "u3"));
        assertEquals("u1;", t.render(chat, false).text());
    }

    @Test
    void trimBlocksLstripBlocksAndTheTemplatesTrailingNewlineAreHandledAsInJinja() {
        ChatTemplate t = ChatTemplate.fromSource("ws", "{% for m in messages %}\n    {% if m.role == 'user' %}\n{{ m.content }}\n    {% endif %}\n{% endfor %}\n", null, null);
        assertEquals("a\nb\n", t.render(List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")), false).text());
        assertEquals("a", ChatTemplate.fromSource("nl", "{{ messages[0].content }}\n", null, null).render(List.of(new ChatMessage("user", "a")), false).text());
    }

    @Test
    void tojsonWritesWhatPythonsJsonDumpsWrites() {
        ChatTemplate t = ChatTemplate.fromSource("json", "{{ messages | tojson }}|{{ messages[0] | tojson(indent=2) }}", null, null);
        String text = t.render(List.of(new ChatMessage("user", "say \"é\"\n")), false).text();
        assertEquals("[{\"role\": \"user\", \"content\": \"say \\\"é\\\"\\n\"}]|{\n  \"role\": \"user\",\n  \"content\": \"say \\\"é\\\"\\n\"\n}", text);
    }

    @Test
    void generationBlocksRenderTheirBody() {
        ChatTemplate t = ChatTemplate.fromSource("gen", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content + eos_token }}"
                + "{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}", null, "</s>");
        assertEquals("hiyo</s>", t.render(List.of(new ChatMessage("user", "hi"), new ChatMessage("assistant", "yo")), false).text());
    }

    @Test
    void builtinTemplatesForModelsWithoutOne() {
        List<ChatMessage> chat = List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello"));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.builtin("chatml").render(chat, true).text());
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>",
                ChatTemplate.builtin("llama3").render(chat, false).text());
        Rendered alpaca = ChatTemplate.builtin("alpaca").render(chat, false);
        assertEquals("<s>Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\nHi\n\n### Response:\nHello</s>", alpaca.text());
        assertEquals("</s>", alpaca.text().substring(alpaca.spans().getFirst().contentEnd(), alpaca.spans().getFirst().endOfTurnEnd()));
        assertEquals("Be terse.\n\n### Instruction:\nHi\n\n### Response:\n", ChatTemplate.builtin("alpaca")
                .render(List.of(new ChatMessage("system", "Be terse."), new ChatMessage("user", "Hi")), true).text().substring(3));
        assertEquals("builtin:alpaca", ChatTemplate.builtin("alpaca").name());
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.builtin("vicuna"));
        assertEquals("unknown chat template 'vicuna'; built-ins: alpaca, chatml, llama3", e.getMessage());
    }

    @Test
    void aModelWithoutTemplateGetsTheNamedBuiltinWithItsOwnTokens(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": {\"content\": \"<|endoftext|>\", \"__type\": \"AddedToken\"}}");
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.of(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json: the model has no chat_template"), e.getMessage());
        ChatTemplate alpaca = ChatTemplate.of(dir, "alpaca");
        Rendered r = alpaca.render(List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")), false);
        assertTrue(r.text().startsWith("<|endoftext|>Below is"), r.text());
        assertTrue(r.text().endsWith("### Response:\nHello<|endoftext|>"), r.text());
        assertEquals("<|endoftext|>", r.text().substring(r.spans().getFirst().contentEnd(), r.spans().getFirst().endOfTurnEnd()),
                "a bos that doubles as eos still ends turns");
    }

    @Test
    void endOfTurnTokensMayComeFromTokenizerJsonsAddedTokens(@TempDir Path dir) throws Exception {
        // Phi-3 style: turns end with <|end|>, an added token of tokenizer.json, while eos is another token
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\", \"chat_template\":"
                + " \"{% for m in messages %}{{ '<|' + m.role + '|>' + m.content + '<|end|>' }}{% endfor %}\"}");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 7, \"content\": \"<|end|>\"}],"
                + " \"model\": {\"vocab\": {\"a\": 0}}}");
        Rendered r = ChatTemplate.of(dir).render(List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")), false);
        assertEquals("<|user|>Hi<|end|><|assistant|>Hello<|end|>", r.text());
        assertFalse(r.eosAppended());
        assertEquals("<|end|>", r.text().substring(r.spans().getFirst().contentEnd(), r.spans().getFirst().endOfTurnEnd()));
    }

    @Test
    void aListOfNamedTemplatesUsesTheDefaultOne(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": ["
                + "{\"name\": \"tool_use\", \"template\": \"tools\"}, {\"name\": \"default\", \"template\": \"{{ messages[0].content }}\"}]}");
        ChatTemplate t = ChatTemplate.of(dir);
        assertEquals("hi", t.render(List.of(new ChatMessage("user", "hi")), false).text());
        assertTrue(t.name().endsWith("/tokenizer_config.json, default"), t.name());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}]}");
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.of(dir));
        assertTrue(e.getMessage().endsWith("tokenizer_config.json: chat_template lists [tool_use] but no 'default' template"), e.getMessage());
    }

    @Test
    void messagesHoldingTheSentinelCharacterAreRefused() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> model("SmolLM2-135M-Instruct").render(List.of(new ChatMessage("user", "a\uE000b")), false));
        assertTrue(e.getMessage().contains("U+E000"), e.getMessage());
    }
}
