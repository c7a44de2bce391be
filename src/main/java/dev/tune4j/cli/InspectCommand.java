package dev.tune4j.cli;

import picocli.CommandLine.Command;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Describe a model: architecture, parameters, dtypes, vocabulary, context.")
public final class InspectCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'inspect' is not implemented yet");
    }
}
