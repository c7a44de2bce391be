package dev.tune4j.cli;

import picocli.CommandLine.Command;

@Command(name = "embed", mixinStandardHelpOptions = true, description = "Encoder forward throughput (tokens/s).")
public final class BenchEmbedCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'embed' is not implemented yet");
    }
}
