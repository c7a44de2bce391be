package dev.tune4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Tokenizers: train a byte-level BPE and save it as Hugging Face files.",
        subcommands = {TokenizerTrainCommand.class})
public final class TokenizerCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
