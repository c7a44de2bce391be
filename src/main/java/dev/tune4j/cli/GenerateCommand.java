package dev.tune4j.cli;

import dev.tune4j.generate.Generator;
import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.generate.StopTokens;
import dev.tune4j.recipe.LanguageModel;
import dev.tune4j.recipe.FineTune;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue prompts with a decoder (KV cache; greedy or sampled), a LoRA adapter applied without merging.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "a run folder, or " + ModelOptions.MODEL_HELP)
    String model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT LoRA adapter folder to apply to --model")
    Path adapter;

    @Option(names = "--prompt", required = true, arity = "1..*", paramLabel = "TEXT", description = "prompts (several decode together, as one batch)")
    List<String> prompts;

    @Option(names = "--chat", description = "render each prompt as a user message through the model's chat template (as `tune4j chat` and task sft do)")
    boolean chat;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--json", description = "one JSON object per prompt instead of text")
    boolean json;

    @Override
    public Integer call() {
        try (LanguageModel lm = FineTune.languageModel(model, adapter)) {
            var tok = lm.model().requireTokenizer();
            Prompting prompting = chat ? Prompting.chat(lm) : new Prompting(PromptEncoder.plain(tok), List.of());
            Generator g = new Generator(lm.model().model(), tok, StopTokens.of(lm.model(), prompting.endOfTurn()));
            List<int[]> ids = new ArrayList<>();
            for (String p : prompts) ids.add(prompting.encoder().encode(p));
            PrintStream out = System.out;
            boolean stream = !json && prompts.size() == 1;
            if (stream) out.print(chat ? "" : prompts.getFirst());
            List<Generator.Result> results = g.generate(ids, sampling.toSampling(), stream ? (row, text) -> {
                out.print(text);
                out.flush();
            } : null);
            for (int i = 0; i < results.size(); i++) {
                Generator.Result r = results.get(i);
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("prompt", prompts.get(i));
                    m.put("text", r.text());
                    m.put("finish", r.finish().name().toLowerCase());
                    m.put("prompt_tokens", r.promptIds().length);
                    m.put("new_tokens", r.ids().length);
                    m.put("ids", r.ids());
                    m.put("prefill_s", r.prefillSeconds());
                    m.put("decode_s", r.decodeSeconds());
                    m.put("tokens_per_s", r.tokensPerSecond());
                    out.println(Json.line(m));
                } else {
                    if (!stream) out.print((chat ? "" : prompts.get(i)) + r.text());
                    out.println();
                    System.err.printf("[%d prompt + %d new tokens, %s; prefill %.2f s, decode %.1f tokens/s]%n", r.promptIds().length,
                            r.ids().length, r.finish().name().toLowerCase(), r.prefillSeconds(), r.tokensPerSecond());
                }
            }
        }
        return 0;
    }
}
