package dev.tune4j.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The Hub's HTTP endpoints, spoken as huggingface_hub speaks them ({@code hf_api.model_info},
 * {@code file_download.get_hf_file_metadata}, {@code http_get}, {@code utils/_http.hf_raise_for_status}).
 * Redirects are followed by hand so that the token goes to the Hub's own origin only: never to the
 * storage or CDN host a download is sent on to.
 */
final class HubClient {
    static final String X_REPO_COMMIT = "X-Repo-Commit", X_LINKED_ETAG = "X-Linked-Etag", X_LINKED_SIZE = "X-Linked-Size";
    static final String X_ERROR_CODE = "X-Error-Code", X_ERROR_MESSAGE = "X-Error-Message";
    private static final int MAX_REDIRECTS = 10;
    private static final String USER_AGENT = "tune4j; java/" + Runtime.version().feature();

    /** The Hub could not be reached at all (no answer, as opposed to an HTTP error): the cache may still serve. */
    static final class Unreachable extends IOException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The model info: the commit a revision resolves to and the files there. */
    record ModelInfo(String sha, List<RepoFile> files) {}

    /**
     * What a HEAD on a file's resolve URL says: the commit, the ETag naming its blob (the SHA-256 for
     * an LFS file), its size, and where to download it from (storage, after a redirect).
     */
    record FileMetadata(String commit, String etag, long size, URI location) {}

    private final HubSettings settings;
    private final HttpClient http;

    /** How long a download may go without bytes before it is cut (and resumed). */
    Duration timeout() {
        return settings.timeout();
    }

    HubClient(HubSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeout())
                .build();
    }

    /** {@code GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true}. */
    ModelInfo modelInfo(HubId id) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + id.repo() + "/revision/" + encode(id.revision(), false) + "?blobs=true");
        HttpResponse<byte[]> r = onHub(uri, "GET", HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw error(r, id, null);
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new HubException(settings.endpoint() + " answered the model info of " + id + " with something that is not JSON", e);
        }
        String sha = json.path("sha").asText(null);
        if (!HubId.isCommit(sha)) throw new HubException(settings.endpoint() + ": the model info of " + id + " has no commit hash (sha)");
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode s : json.path("siblings")) {
            JsonNode lfs = s.path("lfs");
            long size = lfs.isObject() ? lfs.path("size").asLong(-1) : s.path("size").asLong(-1);
            files.add(new RepoFile(s.path("rfilename").asText(), size, s.path("blobId").asText(null), lfs.isObject() ? lfs.path("sha256").asText(null) : null));
        }
        return new ModelInfo(sha, files);
    }

    /**
     * {@code HEAD {endpoint}/{repo}/resolve/{commit}/{file}}. A redirect off the Hub (to storage)
     * carries the metadata itself and its {@code Location} is where the blob is downloaded from.
     */
    FileMetadata metadata(HubId id, String commit, String file) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/" + id.repo() + "/resolve/" + commit + "/" + encode(file, true));
        HttpResponse<Void> r = onHub(uri, "HEAD", HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() >= 400) throw error(r, id, file);
        Optional<String> location = r.headers().firstValue("Location");
        boolean redirect = r.statusCode() / 100 == 3 && location.isPresent();
        String repoCommit = r.headers().firstValue(X_REPO_COMMIT).orElse(null);
        String etag = normalizeEtag(r.headers().firstValue(X_LINKED_ETAG).or(() -> r.headers().firstValue("ETag")).orElse(null));
        String size = r.headers().firstValue(X_LINKED_SIZE).orElse(redirect ? null : r.headers().firstValue("Content-Length").orElse(null));
        if (repoCommit == null || etag == null || size == null) {
            throw new HubException(settings.endpoint() + "'s answer for " + file + " of " + id + " lacks " + (repoCommit == null ? X_REPO_COMMIT : etag == null ? "an ETag" : "a size")
                    + ": is HF_ENDPOINT a Hugging Face Hub? (a proxy or firewall may be in the way)");
        }
        HubCache.checkEtag(id, file, etag);
        return new FileMetadata(repoCommit, etag, parseSize(size, file), redirect ? r.uri().resolve(location.get()) : r.uri());
    }

    /**
     * A request to the Hub, following the redirects that stay on it (a renamed repo) and stopping at
     * one that leaves it, as huggingface_hub's {@code _httpx_follow_relative_redirects} does; the
     * identity encoding keeps the sizes the file's own, not a compressed body's.
     */
    private <T> HttpResponse<T> onHub(URI uri, String method, HttpResponse.BodyHandler<T> body) throws IOException {
        for (int hop = 0; ; hop++) {
            HttpResponse<T> r = send(request(uri, method).header("Accept-Encoding", "identity").build(), body);
            Optional<String> location = r.headers().firstValue("Location");
            if (r.statusCode() / 100 != 3 || location.isEmpty() || !isHub(uri.resolve(location.get()))) return r;
            if (hop >= MAX_REDIRECTS) throw new HubException("too many redirects from " + host(uri));
            uri = uri.resolve(location.get());
        }
    }

    /**
     * {@code GET url}, from byte {@code from} on (a Range request) when above 0, following redirects
     * by hand; the token goes only to the Hub's own origin and never down from https to http.
     * The caller reads and closes the body.
     */
    HttpResponse<InputStream> get(URI url, long from) throws IOException {
        URI uri = url;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = request(uri, "GET").header("Accept-Encoding", "identity");
            if (from > 0) b.header("Range", "bytes=" + from + "-");
            HttpResponse<InputStream> r = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            Optional<String> location = r.headers().firstValue("Location");
            if (r.statusCode() / 100 != 3 || location.isEmpty()) return r;
            r.body().close();
            URI next = uri.resolve(location.get());
            if (hop >= MAX_REDIRECTS) throw new HubException("too many redirects downloading from " + host(url));
            if (uri.getScheme().equals("https") && !"https".equals(next.getScheme())) {
                throw new HubException(host(uri) + " redirected a download to plain " + next.getScheme() + " at " + host(next) + "; refused");
            }
            uri = next;
        }
    }

    /** The one-line error for a failed answer about {@code id} (and {@code file}, or null for the model info). */
    HubException error(HttpResponse<?> r, HubId id, String file) {
        int status = r.statusCode();
        String code = r.headers().firstValue(X_ERROR_CODE).orElse("");
        String message = r.headers().firstValue(X_ERROR_MESSAGE).orElse("");
        String what = file == null ? id.toString() : file + " of " + id;
        String page = settings.endpoint() + "/" + id.repo();
        HubSettings.Token token = settings.token();
        String login = "set HF_TOKEN or run huggingface-cli login";
        if (!isHub(r.uri())) return new HubException("downloading " + what + " from " + host(r.uri()) + " failed: HTTP " + status);
        if (code.equals("RevisionNotFound")) return new HubException(id.repo() + " has no revision '" + id.revision() + "' on " + settings.endpoint() + " (a branch, tag or commit)");
        if (code.equals("EntryNotFound")) return new HubException(id.repo() + " has no file " + file + " at " + id.revision());
        if (code.equals("GatedRepo")) {
            return new HubException(token == null
                    ? id.repo() + " is a gated model: accept its conditions at " + page + ", then give an access token (" + login + ")"
                    : id.repo() + " is a gated model and the " + token + " has no access to it (yet): ask for access at " + page);
        }
        if (status == 401 && message.equals("Invalid credentials in Authorization header")) {
            return new HubException(settings.endpoint() + " refused the " + token + " (invalid or expired): " + login);
        }
        if (code.equals("RepoNotFound") || status == 401 || status == 404 && file == null) {
            return new HubException(token == null
                    ? "no model " + id.repo() + " on " + settings.endpoint() + ", nor a local folder of that name (a private or gated model needs an access token: " + login + ")"
                    : "no model " + id.repo() + " on " + settings.endpoint() + " that the " + token + " can see, nor a local folder of that name");
        }
        if (status == 403) return new HubException(settings.endpoint() + " denied access to " + what + " (HTTP 403" + (message.isBlank() ? "" : ": " + oneLine(message)) + ")");
        return new HubException(settings.endpoint() + " answered HTTP " + status + " for " + what + (message.isBlank() ? "" : ": " + oneLine(message)));
    }

    /** A request with our user agent, and the token when it goes to the Hub's own origin. */
    private HttpRequest.Builder request(URI uri, String method) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody()).timeout(settings.timeout())
                .header("User-Agent", USER_AGENT);
        if (settings.token() != null && isHub(uri)) b.header("Authorization", "Bearer " + settings.token().value());
        return b;
    }

    /** Same scheme, host and port as the endpoint. */
    boolean isHub(URI uri) {
        URI hub = settings.endpoint();
        return hub.getScheme().equalsIgnoreCase(uri.getScheme()) && hub.getHost().equalsIgnoreCase(uri.getHost()) && port(hub) == port(uri);
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) throws IOException {
        try {
            return http.send(request, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while talking to " + host(request.uri()));
        } catch (IOException | UnresolvedAddressException e) {
            throw new Unreachable("cannot reach " + host(request.uri()) + " (" + reason(e) + ")", e);
        }
    }

    /** A network failure in words (the JDK's own messages are often empty). */
    static String reason(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        if (e instanceof HttpConnectTimeoutException || e instanceof HttpTimeoutException) return "timed out";
        if (root instanceof UnresolvedAddressException || root instanceof java.net.UnknownHostException) return "unknown host";
        if (e instanceof ConnectException) return "connection refused";
        String m = e.getMessage() != null ? e.getMessage() : root.getMessage();
        return m == null ? e.getClass().getSimpleName() : oneLine(m);
    }

    /** huggingface_hub's {@code _normalize_etag}: {@code W/"x"} and {@code "x"} are both {@code x}. */
    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        e = e.replace("\"", "");
        return e.isEmpty() ? null : e;
    }

    /** scheme://host:port, the part of a URL that may be shown (signed storage URLs carry secrets in the query). */
    static String host(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static long parseSize(String size, String file) throws HubException {
        try {
            long n = Long.parseLong(size.strip());
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new HubException("the Hub sent an invalid size '" + oneLine(size) + "' for " + file);
    }

    /**
     * Percent-encoding of UTF-8 bytes except the unreserved characters (and {@code /} between a
     * file's folders), as Python's {@code quote} does for revisions ({@code safe=""}) and file names.
     */
    static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0 || keepSlash && c == '/')) sb.append(c);
            else sb.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
        }
        return sb.toString();
    }

    private static String oneLine(String s) {
        String l = s.strip().replaceAll("\\s+", " ");
        return l.length() > 300 ? l.substring(0, 300) + "..." : l;
    }
}
