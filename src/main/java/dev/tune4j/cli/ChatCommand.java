package dev.tune4j.cli;

import dev.tune4j.generate.Generator;
import dev.tune4j.generate.StopTokens;
import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.LanguageModel;
import dev.tune4j.tokenizer.ChatMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Talk with a decoder through its chat template (the one its instruction tuning used): one line per turn, "
                + "/reset to start over, /exit or end of input to quit.")
public final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "a run folder, or " + ModelOptions.MODEL_HELP)
    String model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT LoRA adapter folder to apply to --model")
    Path adapter;

    @Option(names = "--system", paramLabel = "TEXT", description = "a system message (default: the one the run trained with, if any)")
    String system;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Override
    public Integer call() throws Exception {
        try (LanguageModel lm = FineTune.languageModel(model, adapter)) {
            LanguageModel.Chat chat = lm.chat(system);
            var tok = lm.model().requireTokenizer();
            Generator g = new Generator(lm.model().model(), tok, StopTokens.of(lm.model(), chat.endOfTurn()));
            PrintStream out = System.out;
            boolean terminal = System.console() != null;
            System.err.println("chat with " + model + " (template " + chat.template() + "); /reset starts over, /exit quits");
            List<ChatMessage> history = new ArrayList<>();
            if (chat.systemPrompt() != null && !chat.systemPrompt().isBlank()) history.add(new ChatMessage("system", chat.systemPrompt()));
            int keep = history.size();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                if (terminal) {
                    out.print("> ");
                    out.flush();
                }
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.isBlank()) continue;
                if (line.strip().equals("/reset")) {
                    history.subList(keep, history.size()).clear();
                    System.err.println("(conversation cleared)");
                    continue;
                }
                history.add(new ChatMessage("user", line));
                int[] ids = tok.encode(chat.chatTemplate().render(history, true).text(), Integer.MAX_VALUE, false).ids();
                Generator.Result r = g.generate(List.of(ids), sampling.toSampling(), (row, text) -> {
                    out.print(text);
                    out.flush();
                }).getFirst();
                out.println();
                history.add(new ChatMessage("assistant", r.text()));
                System.err.printf("[%d tokens, %.1f tokens/s%s]%n", r.ids().length, r.tokensPerSecond(),
                        r.finish() == Generator.Finish.LENGTH ? ", cut at --max-new-tokens" : "");
            }
        }
        return 0;
    }
}
