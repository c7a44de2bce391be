package dev.tune4j.io.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One blob's download into {@code blobs/<etag>.incomplete}, resumed with an HTTP Range request from
 * the bytes already there (after a dropped or stalled connection, here up to {@value #RETRIES} times
 * in a row without progress as huggingface_hub's {@code http_get} does, or in a later run), checked against
 * the size and checksum the Hub reports, and renamed to {@code blobs/<etag>} only when both match.
 * A mismatch deletes the partial file: resuming it would only repeat the mismatch. The caller holds
 * the blob's {@link CacheLock}.
 */
final class BlobDownload {
    static final int RETRIES = 5;
    private static final long RETRY_PAUSE_MILLIS = 1000;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hub-download-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final HubClient http;
    private final HubId id;
    private final String file;
    private final URI url;
    private final long size;
    private final Checksum checksum;

    /** @param checksum what the content must hash to, or null when the Hub reported nothing to check */
    BlobDownload(HubClient http, HubId id, String file, URI url, long size, Checksum checksum) {
        this.http = http;
        this.id = id;
        this.file = file;
        this.url = url;
        this.size = size;
        this.checksum = checksum;
    }

    void into(Path incomplete, Path blob, DownloadProgress progress) throws IOException {
        String mismatch;
        try (FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (out.size() > size) out.truncate(0);
            MessageDigest digest = checksum == null ? null : checksum.start();
            if (digest != null) hashExisting(out, out.size(), digest);
            try (DownloadProgress.Bar bar = progress.file(file, size, out.size())) {
                download(out, digest, bar);
            }
            out.force(false);
            String got = digest == null ? null : Checksum.hex(digest);
            mismatch = out.size() != size ? "size mismatch: the Hub says " + size + " bytes, the download has " + out.size()
                    : got != null && !got.equals(checksum.hex()) ? checksum.label() + " mismatch: the Hub says " + checksum.hex() + ", the download has " + got
                    : null;
        }
        if (mismatch != null) {
            Files.deleteIfExists(incomplete);
            throw new HubException(file + " of " + id + ": " + mismatch + "; the download was deleted and nothing was cached"
                    + " (run again; if it repeats, a proxy may be altering the file)");
        }
        Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Appends to {@code out} until it holds the whole file, resuming after dropped connections. */
    private void download(FileChannel out, MessageDigest digest, DownloadProgress.Bar bar) throws IOException {
        int failures = 0;
        long have;
        // The file's size is what has been written and hashed, also after a failure midway.
        while ((have = out.size()) < size) {
            try {
                HttpResponse<InputStream> r = http.get(url, have);
                try (InputStream body = r.body()) {
                    int status = r.statusCode();
                    if (status == 200 && have > 0 || status == 416 && have > 0) {
                        // The server ignored the Range, or has no such range: start over from byte 0.
                        out.truncate(0);
                        if (digest != null) {
                            digest.reset();
                            digest.update(checksum.prefix());
                        }
                        bar.reset(0);
                        if (status == 416) continue;
                    } else if (status == 206) {
                        long start = rangeStart(r);
                        if (start != have) throw new HubException(file + " of " + id + ": asked for bytes from " + have + ", the server sent them from " + start);
                    } else if (status != 200) {
                        throw http.error(r, id, file);
                    }
                    copy(body, out, digest, bar);
                }
                if (out.size() < size) throw new IOException("the body ended at " + out.size() + " of " + size + " bytes");
            } catch (HubException | InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                failures = out.size() > have ? 1 : failures + 1;
                if (failures > RETRIES) {
                    throw new HubException("downloading " + file + " of " + id + " broke off at " + DownloadProgress.size(out.size()) + " of "
                            + DownloadProgress.size(size) + " (" + HubClient.reason(e) + "); run again to resume", e);
                }
                pause();
            }
        }
    }

    private static long rangeStart(HttpResponse<?> r) {
        Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Appends the body to {@code out}. The JDK's client has no read timeout, so a watchdog closes a
     * body that sends nothing for the timeout (huggingface_hub's download timeout), which the caller
     * then resumes like a dropped connection.
     */
    private void copy(InputStream body, FileChannel out, MessageDigest digest, DownloadProgress.Bar bar) throws IOException {
        long timeout = http.timeout().toNanos();
        AtomicLong lastBytes = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.scheduleWithFixedDelay(() -> {
            if (System.nanoTime() - lastBytes.get() > timeout && !stalled.getAndSet(true)) closeQuietly(body);
        }, timeout / 4, timeout / 4, TimeUnit.NANOSECONDS);
        try {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = body.read(buf)) > 0) {
                lastBytes.set(System.nanoTime());
                long at = out.size();
                if (at + n > size) throw new HubException(file + " of " + id + ": the server sent more than the " + size + " bytes the Hub reported");
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) at += out.write(bb, at);
                if (digest != null) digest.update(buf, 0, n);
                bar.add(n);
            }
        } catch (IOException e) {
            if (stalled.get() && !(e instanceof HubException)) throw new IOException("no data for " + http.timeout().toSeconds() + " s", e);
            throw e;
        } finally {
            watchdog.cancel(false);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // The reader sees the stream closed either way.
        }
    }

    private static void hashExisting(FileChannel in, long length, MessageDigest digest) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long pos = 0; pos < length; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), length - pos));
            int n = in.read(buf, pos);
            if (n < 0) break;
            digest.update(buf.flip());
            pos += n;
        }
    }

    private static void pause() throws InterruptedIOException {
        try {
            Thread.sleep(RETRY_PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to resume a download");
        }
    }
}
