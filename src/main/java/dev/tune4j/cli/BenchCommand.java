package dev.tune4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks of the engine's hot paths.",
        subcommands = {BenchGemmCommand.class, BenchEmbedCommand.class, BenchStudyCommand.class, BenchDecodeCommand.class, BenchForgettingCommand.class, BenchAlignmentCommand.class,
                BenchAuditStudyCommand.class, BenchStepCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
