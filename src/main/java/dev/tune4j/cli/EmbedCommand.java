package dev.tune4j.cli;

import picocli.CommandLine.Command;

@Command(name = "embed", mixinStandardHelpOptions = true, description = "Sentence embeddings from an encoder model.")
public final class EmbedCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'embed' is not implemented yet");
    }
}
