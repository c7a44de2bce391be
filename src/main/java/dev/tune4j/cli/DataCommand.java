package dev.tune4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Data preparation: clean, deduplicate, validate, split; audit labels and responses with a model.",
        subcommands = {DataPrepareCommand.class, DataAuditCommand.class, DataBenchDedupCommand.class})
public final class DataCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
