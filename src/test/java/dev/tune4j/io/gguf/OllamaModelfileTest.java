package dev.tune4j.io.gguf;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Chat templates translated to Ollama's Go templates, and the ones that cannot be said so. */
class OllamaModelfileTest {
    /** Llama 3.1's template, shortened to what the translation reads (no tools). */
    static final String LLAMA31 = "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul 2024\" %}\n{%- endif %}\n"
            + "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content']|trim %}{%- set messages = messages[1:] %}"
            + "{%- else %}{%- set system_message = \"\" %}{%- endif %}"
            + "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}"
            + "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}{{- system_message }}{{- \"<|eot_id|>\" }}"
            + "{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}"
            + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";
    static final String ALPACA = "{{ 'Below is an instruction that describes a task. Write a response that appropriately completes the request.' }}"
            + "{% for message in messages %}{% if message['role'] == 'user' %}{{ '\\n\\n### Instruction:\\n' + message['content'] }}"
            + "{% elif message['role'] == 'assistant' %}{{ '\\n\\n### Response:\\n' + message['content'] + eos_token }}{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '\\n\\n### Response:\\n' }}{% endif %}";

    @Test
    void chatMlKeepsItsTurnsStopsAndDefaultSystemPrompt() {
        OllamaModelfile m = OllamaModelfile.of("tiny.gguf", TinyBpe.CHAT_TEMPLATE, "<|im_end|>");
        assertEquals("ChatML", m.format());
        assertTrue(m.warnings().isEmpty());
        String expected = """
                FROM ./tiny.gguf
                TEMPLATE \"""{{ range .Messages }}<|im_start|>{{ .Role }}
                {{ .Content }}<|im_end|>
                {{ end }}<|im_start|>assistant
                \"""
                SYSTEM \"""You are a tiny test model.\"""
                PARAMETER stop "<|im_start|>"
                PARAMETER stop "<|im_end|>"
                """;
        assertTrue(m.text().endsWith(expected), m.text());
    }

    @Test
    void llama31KeepsItsSystemTurnWithTheDefaultDateAndSaysWhatItDoesNotCarry() {
        OllamaModelfile m = OllamaModelfile.of("l.gguf", LLAMA31, "<|eot_id|>");
        assertEquals("Llama 3", m.format());
        assertTrue(m.text().contains("TEMPLATE \"\"\"<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                + "{{ range .Messages }}{{ if eq .Role \"system\" }}{{ .Content }}{{ end }}{{ end }}<|eot_id|>"), m.text());
        assertTrue(m.text().contains("{{ end }}{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n\"\"\""), m.text());
        assertTrue(m.text().contains("# note: the chat template trims each message's content"), m.text());
        assertTrue(m.text().contains("PARAMETER stop \"<|eot_id|>\""));
        assertFalse(m.text().contains("bos_token") || m.text().contains("<|begin_of_text|>"), "BOS is the runner's");
    }

    @Test
    void alpacaGetsItsPreambleAsTheSystemPrompt() {
        OllamaModelfile m = OllamaModelfile.of("a.gguf", ALPACA, "</s>");
        assertEquals("Alpaca", m.format());
        assertTrue(m.text().contains("SYSTEM \"\"\"Below is an instruction that describes a task. Write a response that appropriately completes the request.\"\"\""), m.text());
        assertTrue(m.text().contains("### Response:\n{{ .Content }}</s>"), m.text());
        assertTrue(m.text().contains("PARAMETER stop \"### Instruction:\""));
    }

    @Test
    void anUnknownTemplateGetsNoTemplateAndAWarningInsteadOfAGuess() {
        OllamaModelfile m = OllamaModelfile.of("g.gguf", "{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>{% endfor %}", "<eos>");
        assertNull(m.format());
        assertEquals(1, m.warnings().size());
        assertFalse(m.text().contains("TEMPLATE \""), m.text());
        assertTrue(m.text().contains("# the chat template is in none of the formats"), m.text());
        assertTrue(m.text().contains("FROM ./g.gguf"));
        assertFalse(m.text().contains("PARAMETER stop"), "no stops guessed either");
        OllamaModelfile none = OllamaModelfile.of("n.gguf", null, null);
        assertTrue(none.warnings().getFirst().contains("no chat template"));
    }
}
