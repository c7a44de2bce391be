package dev.tune4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "tune4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Fine-tuning of pre-trained transformer models in pure Java.",
        subcommands = {
                DemoCommand.class,
                TrainCommand.class,
                EvalCommand.class,
                PredictCommand.class,
                BenchCommand.class,
                DataCommand.class,
                InspectCommand.class,
                EmbedCommand.class,
                ExportCommand.class,
                MergeCommand.class,
                CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    public static final String VERSION = "0.1.0";

    static final class Version implements CommandLine.IVersionProvider {
        public String[] getVersion() {
            return new String[] {"tune4j " + VERSION + " (Java " + Runtime.version() + ")"};
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            // Bad input is the user's to fix: a one-line message, with the stack only when asked.
            cmd.getErr().println("tune4j: " + ex.getMessage());
            if (System.getenv("TUNE4J_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
