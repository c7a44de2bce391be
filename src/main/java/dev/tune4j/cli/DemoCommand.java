package dev.tune4j.cli;

import picocli.CommandLine.Command;

@Command(name = "demo", mixinStandardHelpOptions = true, description = "Fine-tune a tiny model on built-in data (the default job).")
public final class DemoCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'demo' is not implemented yet");
    }
}
