package dev.tune4j.cli;

import picocli.CommandLine.Command;

@Command(name = "prepare", mixinStandardHelpOptions = true, description = "Turn raw files into a clean, deduplicated, validated, split data set.")
public final class DataPrepareCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'prepare' is not implemented yet");
    }
}
