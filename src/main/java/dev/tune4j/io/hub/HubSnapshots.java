package dev.tune4j.io.hub;

import dev.tune4j.io.IoErrors;
import dev.tune4j.io.Safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hub model as a local folder: the snapshot folder of the Hugging Face cache
 * ({@code models--org--name/snapshots/<commit>}) holding the files tune4j loads ({@link ModelFiles}),
 * downloaded as huggingface_hub's {@code snapshot_download} would: the revision resolved to a commit
 * by the model info, each file missing from the snapshot looked up with a HEAD on its resolve URL,
 * fetched into a blob under the blob's lock, and linked into the snapshot. Offline, or when the Hub
 * cannot be reached, only the cache is used: the revision through {@code refs/}, the files checked.
 */
public final class HubSnapshots {
    private HubSnapshots() {}

    /** The snapshot folder holding {@code id}'s model files, downloading what is missing. */
    public static Path resolve(HubId id, HubSettings settings) throws IOException {
        HubCache cache = new HubCache(settings.cache(), id);
        DownloadProgress progress = DownloadProgress.of(settings.progress());
        if (settings.offline()) return cached(id, cache, settings, "offline (HF_HUB_OFFLINE=1)");
        HubClient http = new HubClient(settings);
        HubClient.ModelInfo info;
        try {
            info = http.modelInfo(id);
        } catch (HubClient.Unreachable e) {
            Path snapshot = cached(id, cache, settings, e.getMessage());
            progress.message(e.getMessage() + "; using the cached " + id + " (" + snapshot.getFileName() + ")");
            return snapshot;
        }
        String commit = info.sha();
        cache.tag();
        try {
            cache.writeRef(id.revision(), commit);
        } catch (IOException e) {
            // As in huggingface_hub: a cache that cannot be written to may still hold the whole snapshot.
            progress.message("could not record refs/" + id.revision() + " in the cache: " + IoErrors.describe(e));
        }

        List<RepoFile> files = new ArrayList<>(ModelFiles.select(id, info.files()));
        RepoFile last = files.getLast();
        if (last.name().equals(Safetensors.INDEX_FILE)) {
            Path index = fetch(http, cache, id, commit, last, progress);
            files.addAll(ModelFiles.shards(id, index, info.files()));
        }
        List<RepoFile> missing = new ArrayList<>();
        for (RepoFile f : files) {
            if (!Files.exists(cache.pointer(commit, f.name()))) missing.add(f);
        }
        if (!missing.isEmpty()) {
            long bytes = missing.stream().mapToLong(f -> Math.max(0, f.size())).sum();
            progress.message("downloading " + id + " (commit " + commit.substring(0, 12) + "): " + missing.size() + " file(s), "
                    + DownloadProgress.size(bytes) + ", into " + settings.cache());
        }
        for (RepoFile f : missing) fetch(http, cache, id, commit, f, progress);
        return cache.snapshot(commit);
    }

    /**
     * {@code file} of {@code commit} in the snapshot: already there, or linked to a blob already held,
     * or downloaded into a new blob; the blob's lock is held while it is written or linked.
     */
    private static Path fetch(HubClient http, HubCache cache, HubId id, String commit, RepoFile file, DownloadProgress progress) throws IOException {
        Path pointer = cache.pointer(commit, file.name());
        if (Files.exists(pointer)) return pointer;
        HubClient.FileMetadata meta = http.metadata(id, commit, file.name());
        checkAgrees(id, commit, file, meta);
        Path blob = cache.blob(meta.etag());
        Files.createDirectories(blob.getParent());
        try (CacheLock lock = CacheLock.acquire(cache.lock(meta.etag()), progress::message)) {
            if (!Files.exists(blob)) {
                new BlobDownload(http, id, file.name(), meta.location(), meta.size(), file.checksum())
                        .into(cache.incomplete(meta.etag()), blob, progress);
            }
            if (!Files.exists(pointer)) HubCache.link(blob, pointer);
        }
        return pointer;
    }

    /** The HEAD must describe the file the model info listed: a blob named by another ETag would be another file. */
    private static void checkAgrees(HubId id, String commit, RepoFile file, HubClient.FileMetadata meta) throws HubException {
        if (!meta.commit().equals(commit)) {
            throw new HubException(file.name() + " of " + id + ": asked for commit " + commit + ", the Hub answered for " + meta.commit());
        }
        String expected = file.isLfs() ? file.lfsSha256() : file.blobId();
        boolean sameEtag = expected == null || expected.equalsIgnoreCase(meta.etag());
        boolean sameSize = file.size() < 0 || file.size() == meta.size();
        if (!sameEtag || !sameSize) {
            throw new HubException(file.name() + " of " + id + ": the Hub's file metadata (ETag " + meta.etag() + ", " + meta.size()
                    + " bytes) disagrees with its model info (" + expected + ", " + file.size() + " bytes)");
        }
    }

    /** The cached snapshot of {@code id}, complete, or an error saying what is missing and why the Hub was not asked. */
    private static Path cached(HubId id, HubCache cache, HubSettings settings, String why) throws IOException {
        String commit = id.isCommit() ? id.revision() : cache.ref(id.revision());
        if (commit == null) {
            if (!Files.isDirectory(cache.storage())) {
                throw new HubException(why + ": " + id.repo() + " is not in the Hugging Face cache " + settings.cache() + " (download it once online)");
            }
            List<String> commits = cache.commits();
            throw new HubException(why + ": the cache holds " + id.repo() + " but not its revision '" + id.revision() + "' (no refs/" + id.revision() + ")"
                    + (commits.isEmpty() ? "" : "; cached commits: " + String.join(", ", commits) + " (name one as " + id.repo() + "@COMMIT)"));
        }
        Path snapshot = cache.snapshot(commit);
        if (!Files.isDirectory(snapshot)) {
            throw new HubException(why + ": the cache has no snapshot " + commit + " of " + id.repo()
                    + (id.isCommit() ? "" : " (refs/" + id.revision() + " points at it)"));
        }
        List<String> missing = ModelFiles.missingIn(snapshot);
        if (!missing.isEmpty()) {
            throw new HubException(why + ": the cached snapshot of " + id + " (" + commit + ") lacks " + String.join(", ", missing));
        }
        return snapshot;
    }
}
