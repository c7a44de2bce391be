package dev.tune4j.cli;

import picocli.CommandLine.Command;

@Command(name = "export", mixinStandardHelpOptions = true, description = "Save a model as a Hugging Face folder (safetensors + config.json + tokenizer.json).")
public final class ExportCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'export' is not implemented yet");
    }
}
