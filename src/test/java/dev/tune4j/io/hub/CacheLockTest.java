package dev.tune4j.io.hub;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The cache's locks are flock(2) locks, the kind Python's filelock takes, checked against another
 * process calling flock itself (Python's fcntl.flock, or util-linux's flock(1)).
 */
class CacheLockTest {
    /** Which tool takes an flock from another process here: python3's fcntl, util-linux's flock(1), or none. */
    private static final String TOOL = works("python3", "-c", "import fcntl") ? "python3" : works("flock", "--version") ? "flock" : null;

    @TempDir
    Path dir;

    /** A command that tries flock(LOCK_EX | LOCK_NB) on a file and exits 0 if it got the lock, 1 if it is held. */
    private static List<String> tryFlock(Path file) {
        Assumptions.assumeTrue(TOOL != null, "neither python3 nor flock(1) is here to take an flock from another process");
        if (TOOL.equals("python3")) {
            return List.of("python3", "-c", "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
                    + "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(1)", file.toString());
        }
        return List.of("flock", "-n", "-E", "1", file.toString(), "true");
    }

    /** A command that holds flock on {@code file}, writes {@code ready}, waits a second, writes {@code done} and exits (releasing it). */
    private static List<String> holdFlock(Path file, Path ready, Path done) {
        Assumptions.assumeTrue(TOOL != null, "neither python3 nor flock(1) is here to take an flock from another process");
        if (TOOL.equals("python3")) {
            return List.of("python3", "-c", "import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDWR)\nfcntl.flock(fd, fcntl.LOCK_EX)\n"
                    + "open(sys.argv[2], 'w').close()\ntime.sleep(1)\nopen(sys.argv[3], 'w').write('done')", file.toString(), ready.toString(), done.toString());
        }
        return List.of("flock", file.toString(), "sh", "-c", ": > \"$0\"; sleep 1; printf done > \"$1\"", ready.toString(), done.toString());
    }

    @Test
    void ourLockIsAnFlockThatAnotherProcessSees() throws Exception {
        Assumptions.assumeTrue(CacheLock.usesFlock(), "no flock(2) on this system");
        Path file = dir.resolve(".locks/models--org--x/abc.lock");
        try (CacheLock lock = CacheLock.acquire(file, _ -> {})) {
            assertEquals(1, run(tryFlock(file)), "held by us, so another process's flock fails");
        }
        assertEquals(0, run(tryFlock(file)), "released");
        assertTrue(Files.exists(file), "the lock file stays, as filelock leaves it");
    }

    @Test
    void weWaitWhileAnotherProcessHoldsTheFlock() throws Exception {
        Assumptions.assumeTrue(CacheLock.usesFlock(), "no flock(2) on this system");
        Path file = dir.resolve("x.lock"), ready = dir.resolve("ready"), done = dir.resolve("done");
        Files.createFile(file);
        Process holder = new ProcessBuilder(holdFlock(file, ready, done)).redirectErrorStream(true).start();
        try {
            for (int i = 0; i < 600 && !Files.exists(ready); i++) Thread.sleep(25);
            assertTrue(Files.exists(ready), "the other process took its lock");
            try (CacheLock lock = CacheLock.acquire(file, _ -> {})) {
                assertTrue(Files.exists(done), "we got the lock only after the other process let it go");
            }
        } finally {
            holder.destroy();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoThreadsExcludeEachOtherWithFlockAndWithTheFallback() throws Exception {
        assertExcludes(f -> CacheLock.acquire(f, _ -> {}), dir.resolve("flock.lock"));
        assertExcludes(CacheLock::acquireChannelLock, dir.resolve("channel.lock"));
    }

    interface Acquire {
        CacheLock on(Path file) throws IOException;
    }

    private static void assertExcludes(Acquire acquire, Path file) throws Exception {
        AtomicBoolean released = new AtomicBoolean();
        CountDownLatch firstHolds = new CountDownLatch(1);
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
            try (CacheLock l = acquire.on(file)) {
                firstHolds.countDown();
                Thread.sleep(300);
                released.set(true);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(firstHolds.await(10, TimeUnit.SECONDS));
        try (CacheLock l = acquire.on(file)) {
            assertTrue(released.get(), "the second holder came after the first let go");
        }
        first.get(10, TimeUnit.SECONDS);
    }

    private static boolean works(String... command) {
        try {
            return run(List.of(command)) == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        return p.exitValue();
    }
}
