package dev.tune4j.cli;

import dev.tune4j.io.IoErrors;
import dev.tune4j.io.hub.HubSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

@Command(name = "tune4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Fine-tuning of pre-trained transformer models in pure Java.",
        subcommands = {
                DemoCommand.class,
                TrainCommand.class,
                EvalCommand.class,
                PredictCommand.class,
                GenerateCommand.class,
                ChatCommand.class,
                BenchCommand.class,
                DataCommand.class,
                TokenizerCommand.class,
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
        cl.setExecutionStrategy(parsed -> {
            // Under --json only JSON is printed: no download progress either.
            CommandLine.ParseResult leaf = parsed;
            while (leaf.hasSubcommand()) leaf = leaf.subcommand();
            HubSettings.showProgress(!leaf.hasMatchedOption("--json"));
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> fail(ex, cmd.getErr()));
        cl.setParameterExceptionHandler((ex, given) -> {
            // A usage error is one line too, pointing at the help instead of printing all of it.
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("tune4j: " + message(ex) + " (see: " + cmd.getCommandSpec().qualifiedName() + " --help)");
            cmd.getErr().flush();
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        try {
            return cl.execute(args);
        } catch (Error e) {
            // OutOfMemoryError and the like: picocli hands only exceptions to the handler.
            return fail(e, cl.getErr());
        }
    }

    /** Bad input is the user's to fix: a one-line message, with the stack only when asked. */
    private static int fail(Throwable ex, PrintWriter err) {
        err.println("tune4j: " + message(ex));
        if (System.getenv("TUNE4J_DEBUG") != null) ex.printStackTrace(err);
        err.flush();
        return 1;
    }

    /**
     * What went wrong, in one line and without a class name: the exception's own message, an I/O
     * failure described with its file and reason, or, for a failure that is a bug rather than bad
     * input, a request to report it.
     */
    static String message(Throwable ex) {
        String m = switch (ex) {
            case UncheckedIOException u -> IoErrors.describe(u);
            case IOException io -> IoErrors.describe(io);
            case OutOfMemoryError oom -> "out of memory (" + oom.getMessage() + ", at most " + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MB of heap): ask for less, or give Java more with TUNE4J_JAVA_OPTS=-Xmx<size>";
            case StackOverflowError so -> "the input is nested too deeply (stack overflow)";
            case NullPointerException _, IndexOutOfBoundsException _, ClassCastException _, ArithmeticException _,
                 NegativeArraySizeException _, Error _ -> internal(ex);
            default -> ex.getCause() != null && ex.getCause() != ex && String.valueOf(ex.getMessage()).equals(ex.getCause().toString())
                    ? message(ex.getCause())   // a wrapper that only repeats its cause
                    : ex.getMessage() == null || ex.getMessage().isBlank() ? internal(ex) : ex.getMessage();
        };
        String line = m.strip().lines().findFirst().orElse(m);
        return line.length() > 2000 ? line.substring(0, 2000) + "..." : line;
    }

    private static String internal(Throwable e) {
        String kind = e.getClass().getSimpleName().replace("Exception", "");
        return "internal error (" + kind + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + "); please report it with the output of TUNE4J_DEBUG=1";
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
