package dev.tune4j.io.hub;

import java.util.regex.Pattern;

/**
 * A model on the Hugging Face Hub: {@code org/name} with an optional {@code @revision} (a branch, a tag
 * or a commit; {@code main} when none is given).
 *
 * <p>Names follow huggingface_hub's {@code validate_repo_id}: letters, digits, {@code - _ .}, neither
 * starting nor ending with {@code -} or {@code .}, no {@code --} or {@code ..} (the cache folder joins the
 * parts with {@code --}), at most 96 characters.
 */
public record HubId(String repo, String revision) {
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public HubId {
        if (!isRepo(repo)) throw new IllegalArgumentException("'" + repo + "' is not a Hub id (expected org/name)");
        if (!isRevision(revision)) throw new IllegalArgumentException("'" + revision + "' is not a revision of " + repo + " (a branch, tag or commit)");
    }

    /** Whether {@code spec} has the shape {@code org/name[@revision]}. */
    public static boolean matches(String spec) {
        int at = spec.indexOf('@');
        return at < 0 ? isRepo(spec) : isRepo(spec.substring(0, at)) && isRevision(spec.substring(at + 1));
    }

    public static HubId parse(String spec) {
        if (!matches(spec)) throw new IllegalArgumentException("'" + spec + "' is not a Hub id (expected org/name or org/name@revision)");
        int at = spec.indexOf('@');
        return at < 0 ? new HubId(spec, DEFAULT_REVISION) : new HubId(spec.substring(0, at), spec.substring(at + 1));
    }

    /** Whether the revision is a full commit hash, which needs no look-up (huggingface_hub's REGEX_COMMIT_HASH). */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    static boolean isCommit(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    /** The cache folder's name: {@code models--org--name}. */
    public String cacheFolderName() {
        return "models--" + repo.replace("/", "--");
    }

    @Override
    public String toString() {
        return revision.equals(DEFAULT_REVISION) ? repo : repo + "@" + revision;
    }

    private static boolean isRepo(String s) {
        if (s == null || s.length() > 96) return false;
        int slash = s.indexOf('/');
        return slash > 0 && slash == s.lastIndexOf('/') && isPart(s.substring(0, slash)) && isPart(s.substring(slash + 1));
    }

    private static boolean isPart(String p) {
        return PART.matcher(p).matches() && !p.endsWith(".") && !p.endsWith("-") && !p.contains("--") && !p.contains("..") && !p.endsWith(".git");
    }

    /** A branch or tag may hold slashes (refs/pr/1) but no empty, "." or ".." segment: it names a file under refs/. */
    private static boolean isRevision(String r) {
        if (r == null || r.isEmpty() || r.length() > 255 || r.startsWith("/") || r.endsWith("/")) return false;
        for (String seg : r.split("/")) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || seg.chars().anyMatch(c -> c < 0x20 || c == '\\' || c == 0x7f)) return false;
        }
        return true;
    }
}
