package dev.tune4j.io.hub;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * An exclusive lock on one of the cache's {@code .locks/models--org--name/<etag>.lock} files, the same
 * lock huggingface_hub takes, so a Python process and tune4j never download the same blob at once.
 *
 * <p>Python's {@code filelock} locks with {@code flock(2)}; Java's {@link FileChannel#lock} takes POSIX
 * record locks ({@code fcntl}), which on Linux are a separate kind that {@code flock} does not see. So
 * this calls libc's {@code open}/{@code flock}/{@code close} through the FFM API, polling with
 * {@code LOCK_NB} as filelock does. Only where there is no {@code flock} (Windows, or a file system that
 * refuses it) does it fall back to {@link FileChannel#lock}, guarded by an in-process lock because
 * those locks belong to the whole JVM. Like filelock it leaves the lock file in place on release
 * (deleting it would let a waiter lock a different inode than the next comer).
 */
final class CacheLock implements AutoCloseable {
    private static final int LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    private static final int EINTR = 4, EACCES = 13;
    /** EAGAIN (= EWOULDBLOCK): 11 on Linux, 35 on macOS and the BSDs. */
    private static final int EAGAIN = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux") ? 11 : 35;
    private static final long POLL_MILLIS = 50, TELL_AFTER_MILLIS = 10_000;

    private static final Libc LIBC = Libc.get();
    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final int fd;
    private final FileChannel channel;
    private final FileLock channelLock;
    private final ReentrantLock inProcess;

    private CacheLock(int fd, FileChannel channel, FileLock channelLock, ReentrantLock inProcess) {
        this.fd = fd;
        this.channel = channel;
        this.channelLock = channelLock;
        this.inProcess = inProcess;
    }

    /**
     * Waits for the lock on {@code file} (created, group-writable as filelock makes it, when missing);
     * {@code waiting} hears once, after a while, that another process holds it.
     */
    static CacheLock acquire(Path file, Consumer<String> waiting) throws IOException {
        create(file);
        if (LIBC != null) {
            CacheLock l = acquireFlock(file, waiting);
            if (l != null) return l;
        }
        return acquireChannelLock(file);
    }

    /** Whether locks are taken with flock(2) here (else with FileChannel's record locks). */
    static boolean usesFlock() {
        return LIBC != null;
    }

    /** The flock, or null when this file system refuses flock (then the caller falls back). */
    private static CacheLock acquireFlock(Path file, Consumer<String> waiting) throws IOException {
        long start = System.nanoTime();
        boolean told = false;
        while (true) {
            int fd = LIBC.open(file);
            int errno = LIBC.flock(fd, LOCK_EX | LOCK_NB);
            if (errno == 0) return new CacheLock(fd, null, null, null);
            LIBC.close(fd);
            if (errno != EAGAIN && errno != EACCES && errno != EINTR) return null;   // ENOSYS, ENOLCK, EOPNOTSUPP: no flock here
            if (!told && System.nanoTime() - start > TELL_AFTER_MILLIS * 1_000_000) {
                waiting.accept("waiting for another download of the same file to finish (" + file + ")");
                told = true;
            }
            sleep();
        }
    }

    /** The fallback where flock is missing: a record lock, which belongs to the JVM, so threads take an in-process lock first. */
    static CacheLock acquireChannelLock(Path file) throws IOException {
        ReentrantLock jvm = IN_PROCESS.computeIfAbsent(file.toAbsolutePath().normalize(), _ -> new ReentrantLock());
        try {
            jvm.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + file);
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new CacheLock(-1, ch, ch.lock(), jvm);
        } catch (IOException | RuntimeException e) {
            if (ch != null) ch.close();
            jvm.unlock();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (channel == null) {
            LIBC.flock(fd, LOCK_UN);
            LIBC.close(fd);
            return;
        }
        try {
            channelLock.release();
            channel.close();
        } finally {
            inProcess.unlock();
        }
    }

    private static void create(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        try {
            Files.createFile(file);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
            } catch (UnsupportedOperationException | IOException e) {
                // Best effort, as in filelock: only lets other users of a shared cache wait on it too.
            }
        } catch (FileAlreadyExistsException e) {
            // Someone else's lock file: it is the one to lock.
        }
    }

    private static void sleep() throws InterruptedIOException {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a cache lock");
        }
    }
}
