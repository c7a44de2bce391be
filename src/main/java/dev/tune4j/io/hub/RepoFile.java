package dev.tune4j.io.hub;

/**
 * One file of a repo at a commit, as the model info endpoint lists it with {@code ?blobs=true}.
 *
 * @param name      the path in the repo ({@code rfilename})
 * @param size      the file's size in bytes (the LFS object's for an LFS file), or -1 if not reported
 * @param blobId    the git blob id ({@code blobId}); for an LFS file the id of its pointer, not of the content
 * @param lfsSha256 the SHA-256 of an LFS file's content, or null for a file stored in git itself
 */
record RepoFile(String name, long size, String blobId, String lfsSha256) {

    boolean isLfs() {
        return lfsSha256 != null;
    }

    /** What the content must hash to: SHA-256 for an LFS file, the git blob id for one stored in git, null when unknown. */
    Checksum checksum() {
        if (lfsSha256 != null) return Checksum.sha256(lfsSha256);
        return blobId != null && size >= 0 ? Checksum.gitBlob(blobId, size) : null;
    }

    /** The top-level file name's extension test, case-insensitive. */
    boolean endsWith(String suffix) {
        return name.toLowerCase(java.util.Locale.ROOT).endsWith(suffix);
    }

    boolean isTopLevel() {
        return name.indexOf('/') < 0;
    }
}
