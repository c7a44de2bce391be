package dev.tune4j.io.gguf;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Ollama Modelfile for an exported GGUF: {@code FROM ./file.gguf}, a {@code TEMPLATE} in Ollama's
 * Go template syntax translated from the model's Hugging Face chat template (Jinja), the default
 * {@code SYSTEM} prompt the template inserts when it has one, and {@code PARAMETER stop} lines,
 * so that the served model is prompted as it was trained.
 *
 * <p>Translated formats, recognised by their markers in the Jinja source:
 * <ul>
 *   <li>ChatML ({@code <|im_start|>role\ncontent<|im_end|>\n}, Qwen2, SmolLM2), with the default
 *       system prompt the template writes when the conversation has none;</li>
 *   <li>Llama 3 ({@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}); the
 *       Llama 3.1+ form that always opens with a system turn carrying "Cutting Knowledge Date" and
 *       "Today Date" lines keeps those lines, with the template's default date;</li>
 *   <li>Alpaca (an optional preamble, {@code ### Instruction:\n...\n\n### Response:\n...}).</li>
 * </ul>
 * BOS is left to the runner (llama.cpp adds it when {@code tokenizer.ggml.add_bos_token} says so).
 * What a translation cannot carry (tool calls, Jinja's {@code | trim} on contents, a date taken
 * from the clock) is said in comments. A template in no recognised format gets no TEMPLATE, a
 * comment saying so and a warning, rather than a guess.
 */
public record OllamaModelfile(String text, String format, List<String> warnings) {
    private static final Pattern CHATML_SYSTEM = Pattern.compile("<\\|im_start\\|>system(?:\\\\n|\\n)([^'\"{}<]*)<\\|im_end\\|>");
    private static final Pattern KNOWLEDGE = Pattern.compile("Cutting Knowledge Date: ([^'\"\\\\\\n{}]+)");
    private static final Pattern DATE_DEFAULT = Pattern.compile("date_string\\s*=\\s*[\"']([^\"']+)[\"']");
    private static final Pattern ALPACA_PREAMBLE = Pattern.compile("(Below (?:is|are) [^'\"{}\\\\]+)");

    /**
     * @param ggufFile     the GGUF's file name, written as {@code FROM ./name}
     * @param chatTemplate the Jinja chat template, or null when the model has none
     * @param eosToken     the end-of-sequence token's text (added to the stops), or null
     */
    public static OllamaModelfile of(String ggufFile, String chatTemplate, String eosToken) {
        List<String> notes = new ArrayList<>(), warnings = new ArrayList<>();
        Set<String> stops = new LinkedHashSet<>();
        String template = null, system = null, format = null;
        if (chatTemplate == null) {
            warnings.add("the model has no chat template (tokenizer_config.json chat_template), so the Modelfile has no TEMPLATE: Ollama will send prompts as they are");
        } else if (chatTemplate.contains("<|im_start|>") && chatTemplate.contains("<|im_end|>")) {
            format = "ChatML";
            template = """
                    {{ range .Messages }}<|im_start|>{{ .Role }}
                    {{ .Content }}<|im_end|>
                    {{ end }}<|im_start|>assistant
                    """;
            Matcher m = CHATML_SYSTEM.matcher(chatTemplate);
            if (m.find()) system = unescape(m.group(1));
            stops.add("<|im_start|>");
            stops.add("<|im_end|>");
        } else if (chatTemplate.contains("<|start_header_id|>") && chatTemplate.contains("<|eot_id|>")) {
            format = "Llama 3";
            String turns = """
                    <|start_header_id|>{{ .Role }}<|end_header_id|>

                    {{ .Content }}<|eot_id|>""";
            Matcher knowledge = KNOWLEDGE.matcher(chatTemplate);
            if (knowledge.find()) {
                Matcher date = DATE_DEFAULT.matcher(chatTemplate);
                String today = date.find() ? date.group(1) : null;
                if (today == null) {
                    warnings.add("the Llama 3.1-style chat template writes a 'Today Date' line whose default tune4j cannot find; no TEMPLATE written");
                    format = null;
                } else {
                    if (chatTemplate.contains("strftime_now")) notes.add("the chat template writes today's date where it can; the TEMPLATE fixes its default, " + today);
                    template = "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: " + knowledge.group(1).strip() + "\nToday Date: " + today
                            + "\n\n{{ range .Messages }}{{ if eq .Role \"system\" }}{{ .Content }}{{ end }}{{ end }}<|eot_id|>"
                            + "{{ range .Messages }}{{ if ne .Role \"system\" }}" + turns + "{{ end }}{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n";
                }
            } else {
                template = "{{ range .Messages }}" + turns + "{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n";
            }
            if (chatTemplate.contains("| trim")) notes.add("the chat template trims each message's content; the TEMPLATE sends contents as they are");
            stops.add("<|start_header_id|>");
            stops.add("<|end_header_id|>");
            stops.add("<|eot_id|>");
        } else if (chatTemplate.contains("### Instruction:") && chatTemplate.contains("### Response:")) {
            format = "Alpaca";
            Matcher m = ALPACA_PREAMBLE.matcher(chatTemplate);
            if (m.find()) system = m.group(1).strip();
            String eos = eosToken == null ? "" : eosToken;
            template = "{{ range .Messages }}{{ if eq .Role \"system\" }}{{ .Content }}\n\n"
                    + "{{ else if eq .Role \"user\" }}### Instruction:\n{{ .Content }}\n\n"
                    + "{{ else if eq .Role \"assistant\" }}### Response:\n{{ .Content }}" + eos + "\n\n"
                    + "{{ end }}{{ end }}### Response:\n";
            notes.add("Alpaca templates differ in their separators; this TEMPLATE writes 'preamble\\n\\n### Instruction:\\n...\\n\\n### Response:\\n...'");
            stops.add("### Instruction:");
        } else {
            warnings.add("the chat template is in none of the formats tune4j translates to Ollama's Go templates (ChatML, Llama 3, Alpaca), so the"
                    + " Modelfile has no TEMPLATE; write one by hand from tokenizer.chat_template in the GGUF");
        }
        if (format != null && chatTemplate.contains("tools")) notes.add("the chat template's tool-calling parts are not translated");
        if (eosToken != null && !eosToken.isEmpty() && format != null) stops.add(eosToken);

        StringBuilder sb = new StringBuilder("# Ollama Modelfile written by tune4j export; run: ollama create NAME -f Modelfile\n");
        if (format != null) sb.append("# TEMPLATE translated from the model's chat template (").append(format).append(")\n");
        for (String n : notes) sb.append("# note: ").append(n).append('\n');
        for (String w : warnings) sb.append("# ").append(w).append('\n');
        sb.append("FROM ./").append(ggufFile).append('\n');
        if (template != null) sb.append("TEMPLATE \"\"\"").append(template).append("\"\"\"\n");
        if (system != null && !system.isEmpty()) sb.append("SYSTEM \"\"\"").append(system).append("\"\"\"\n");
        for (String s : stops) sb.append("PARAMETER stop \"").append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        return new OllamaModelfile(sb.toString(), format, List.copyOf(warnings));
    }

    /** A Jinja string literal's escapes as the text they stand for. */
    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\t", "\t");
    }
}
