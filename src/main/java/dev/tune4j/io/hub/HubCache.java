package dev.tune4j.io.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One repo's part of the Hugging Face cache, laid out exactly as huggingface_hub lays it out
 * ({@code file_download.py}), so either tool reuses what the other downloaded:
 * <pre>
 * {cache}/models--org--name/blobs/{etag}                      the files' contents, named by their ETag
 *                           blobs/{etag}.incomplete           a download under way (resumed from where it stopped)
 *                           refs/{branch or tag}              the commit hash it pointed at when last asked
 *                           snapshots/{commit}/{file}         -> ../../blobs/{etag} (a relative symlink)
 * {cache}/.locks/models--org--name/{etag}.lock                taken while a blob is downloaded or linked
 * {cache}/CACHEDIR.TAG                                        tells backup tools to skip the cache
 * </pre>
 */
final class HubCache {
    /** The tag huggingface_hub writes ({@code _local_folder.CACHEDIR_TAG_CONTENT}). */
    static final String CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n"
            + "# This file is a cache directory tag created by huggingface_hub.\n"
            + "# For information about cache directory tags, see:\n"
            + "#\thttps://bford.info/cachedir/\n";

    /** An ETag used as a file name: the hex digests the Hub sends, nothing that could leave blobs/. */
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]{0,127}");

    private final Path cache;
    private final HubId id;
    private final Path storage;

    HubCache(Path cache, HubId id) {
        this.cache = cache;
        this.id = id;
        this.storage = cache.resolve(id.cacheFolderName());
    }

    Path storage() {
        return storage;
    }

    Path snapshot(String commit) {
        return storage.resolve("snapshots").resolve(commit);
    }

    Path blob(String etag) {
        return storage.resolve("blobs").resolve(etag);
    }

    Path incomplete(String etag) {
        return storage.resolve("blobs").resolve(etag + ".incomplete");
    }

    Path lock(String etag) {
        return cache.resolve(".locks").resolve(id.cacheFolderName()).resolve(etag + ".lock");
    }

    /** Where {@code file} of {@code commit} is linked; refuses names that would leave the snapshot folder. */
    Path pointer(String commit, String file) throws HubException {
        Path snap = snapshot(commit);
        Path p = snap.resolve(file).normalize();
        if (file.isEmpty() || file.startsWith("/") || file.contains("\\") || Path.of(file).isAbsolute()
                || Stream.of(file.split("/")).anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals("..")) || !p.startsWith(snap)) {
            throw new HubException(id + ": the Hub lists a file named '" + file + "', which is not a safe relative path");
        }
        return p;
    }

    static void checkEtag(HubId id, String file, String etag) throws HubException {
        if (etag == null || !ETAG.matcher(etag).matches()) {
            throw new HubException(id + ": the Hub sent no usable ETag for " + file + " (got " + (etag == null ? "none" : "'" + etag + "'") + ")");
        }
    }

    /** The commit {@code revision} pointed at when last resolved online (refs/{revision}), or null. */
    String ref(String revision) throws IOException {
        Path ref = storage.resolve("refs").resolve(revision);
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return HubId.isCommit(commit) ? commit : null;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Records that {@code revision} is {@code commit}, atomically (a temporary file renamed over the
     * ref), and only when it changed: a read-only cache stays usable.
     */
    void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit) || commit.equals(ref(revision))) return;
        Path ref = storage.resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The commits of the snapshots held, for an error that names what is there instead. */
    List<String> commits() throws IOException {
        Path snaps = storage.resolve("snapshots");
        if (!Files.isDirectory(snaps)) return List.of();
        try (Stream<Path> s = Files.list(snaps)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Links {@code pointer} to {@code blob} with a relative symlink ({@code ../../blobs/<etag>}, deeper
     * for files in sub-folders), so the cache still works after being moved; where symlinks cannot
     * be made, copies the blob (as huggingface_hub does on such systems).
     */
    static void link(Path blob, Path pointer) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        Files.deleteIfExists(pointer);
        try {
            Files.createSymbolicLink(pointer, target);
        } catch (FileAlreadyExistsException e) {
            // Linked meanwhile by another process: fine if it points at the same blob.
            if (!Files.isSameFile(pointer, blob)) throw e;
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, pointer, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Tags the cache folder for backup tools once (CACHEDIR.TAG), best effort as huggingface_hub does. */
    void tag() {
        Path tag = cache.resolve("CACHEDIR.TAG");
        if (Files.exists(tag)) return;
        try {
            Files.createDirectories(cache);
            Files.writeString(tag, CACHEDIR_TAG, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // Only a courtesy to backup tools.
        }
    }
}
