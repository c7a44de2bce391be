package dev.tune4j.io.hub;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/** The few libc calls the Hub cache needs (through the FFM API): open, flock and close with errno, and isatty. */
final class Libc {
    private static final int O_RDWR = 2;
    private static final Libc INSTANCE = load();

    private final MethodHandle open, flock, close;
    private final VarHandle errno;
    private final MemoryLayout state;

    private Libc(MethodHandle open, MethodHandle flock, MethodHandle close, VarHandle errno, MemoryLayout state) {
        this.open = open;
        this.flock = flock;
        this.close = close;
        this.errno = errno;
        this.state = state;
    }

    /** The calls, or null where they cannot be linked (Windows, native access denied). */
    static Libc get() {
        return INSTANCE;
    }

    private static Libc load() {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            MemoryLayout state = Linker.Option.captureStateLayout();
            // open(2) is variadic: the mode goes as a variadic int.
            MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), errno, Linker.Option.firstVariadicArg(2));
            MethodHandle flock = linker.downcallHandle(libc.find("flock").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
            MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            return new Libc(open, flock, close, state.varHandle(MemoryLayout.PathElement.groupElement("errno")), state);
        } catch (Throwable e) {
            return null;
        }
    }

    /** A read-write descriptor of an existing file. */
    int open(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(state);
            int fd = (int) open.invokeExact(st, arena.allocateFrom(file.toString()), O_RDWR, 0);
            if (fd < 0) throw new IOException(file + ": cannot open (errno " + (int) errno.get(st, 0L) + ")");
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** flock(2): 0, or the errno of the failure. */
    int flock(int fd, int operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(state);
            return (int) flock.invokeExact(st, fd, operation) == 0 ? 0 : (int) errno.get(st, 0L);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    void close(int fd) {
        try {
            int ignored = (int) close.invokeExact(fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code fd} is a terminal; false where isatty cannot be asked. */
    static boolean isTerminal(int fd) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(
                    linker.defaultLookup().find("isatty").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            return (int) isatty.invokeExact(fd) == 1;
        } catch (Throwable e) {
            return false;
        }
    }
}
