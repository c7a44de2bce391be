package dev.tune4j.cli;

import dev.tune4j.train.StopRequest;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SIGINT (Ctrl-C) and SIGTERM while a run trains: the first asks it to stop after its current
 * update, with a checkpoint to resume from; a second one ends the process at once. The handlers
 * are the JVM's own until {@link #close}. ({@code sun.misc.Signal} is the supported way to catch a
 * signal without ending the JVM: jdk.unsupported exports it to every application.)
 */
final class StopSignals implements AutoCloseable {
    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private volatile int exitCode;

    private StopSignals() {}

    static StopSignals install(StopRequest stop, PrintStream err) {
        StopSignals s = new StopSignals();
        for (String name : new String[] {"INT", "TERM"}) {
            Signal signal = new Signal(name);
            int code = 128 + signal.getNumber();
            s.previous.put(signal, Signal.handle(signal, sig -> {
                if (stop.requested()) {
                    err.println("\ntune4j: SIG" + name + " again: quitting now; the last checkpoint is what --resume continues from");
                    Runtime.getRuntime().halt(code);
                }
                s.exitCode = code;
                stop.request("SIG" + name);
                err.println("\ntune4j: SIG" + name + ": stopping after the current update, with a checkpoint (send it again to quit at once)");
            }));
        }
        return s;
    }

    /** 128 + the number of the signal that asked to stop (130 for SIGINT, 143 for SIGTERM). */
    int exitCode() {
        return exitCode;
    }

    @Override
    public void close() {
        previous.forEach(Signal::handle);
    }
}
