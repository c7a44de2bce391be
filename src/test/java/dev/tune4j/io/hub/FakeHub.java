package dev.tune4j.io.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A Hugging Face Hub on localhost, for tests: the Hub itself (model info with {@code ?blobs=true},
 * {@code resolve} URLs answering HEAD and GET with the Hub's headers and error codes) and a second
 * server on another port standing for the LFS/CDN storage that LFS files redirect to. It records
 * every request (with its Authorization and Range headers) and can misbehave on demand: drop a
 * download midway, serve corrupted bytes, hold a download until a second client asks for the file.
 */
final class FakeHub implements AutoCloseable {
    /** A file's content and how the Hub stores it. */
    record Blob(byte[] content, boolean lfs) {
        String sha256() { return hex("SHA-256", new byte[0], content); }

        String gitBlobId() { return hex("SHA-1", ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII), content); }

        /** The blob id of an LFS file is its pointer's. */
        String blobId() {
            if (!lfs) return gitBlobId();
            byte[] pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256() + "\nsize " + content.length + "\n").getBytes(StandardCharsets.US_ASCII);
            return new Blob(pointer, false).gitBlobId();
        }
    }

    /** A model repo: commits (sha -> files) and refs (branch or tag -> sha). */
    static final class Repo {
        final Map<String, Map<String, Blob>> commits = new LinkedHashMap<>();
        final Map<String, String> refs = new ConcurrentHashMap<>();
        volatile String gatedToken;   // non-null: a gated repo that only this token may read

        /** Adds a commit of every file under {@code folder} and points {@code refs} at it; returns its sha. */
        String commit(Path folder, String... refNames) throws IOException {
            Map<String, Blob> files = new TreeMap<>();
            try (Stream<Path> s = Files.walk(folder)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    String name = folder.relativize(p).toString().replace('\\', '/');
                    files.put(name, new Blob(Files.readAllBytes(p), isLfs(name)));
                }
            }
            return commit(files, refNames);
        }

        String commit(Map<String, Blob> files, String... refNames) {
            StringBuilder sb = new StringBuilder(String.valueOf(commits.size()));
            files.forEach((n, b) -> sb.append(n).append(b.gitBlobId()));
            String sha = hex("SHA-1", new byte[0], sb.toString().getBytes(StandardCharsets.UTF_8));
            commits.put(sha, files);
            for (String r : refNames) refs.put(r, sha);
            return sha;
        }

        static boolean isLfs(String name) {
            return Stream.of(".safetensors", ".bin", ".pt", ".pth", ".onnx").anyMatch(name::endsWith);
        }
    }

    /** One request as a server saw it. */
    record Request(String server, String method, String path, String authorization, String range) {}

    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    /** Renamed repos: old id -> new id, answered with a relative redirect as the Hub does. */
    final Map<String, String> renamed = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final HttpServer hub, storage;
    /** Storage blobs by SHA-256. */
    private final Map<String, byte[]> lfs = new ConcurrentHashMap<>();

    /** Misbehaviour: the next storage GET sends only this many bytes, then drops the connection (-1: none). */
    final AtomicLong dropNextAfter = new AtomicLong(-1);
    /** Misbehaviour: the next storage GET sends only this many bytes, then goes silent for 3 seconds (-1: none). */
    final AtomicLong stallNextAfter = new AtomicLong(-1);
    /** Misbehaviour: storage flips a byte of everything it serves. */
    volatile boolean corrupt;
    /** Coordination: a storage GET of a blob waits until this many HEADs asked for its file (0: no waiting). */
    volatile int holdUntilHeads;
    private final Map<String, AtomicInteger> heads = new ConcurrentHashMap<>();

    FakeHub() throws IOException {
        InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(local, 0);
        storage = HttpServer.create(local, 0);
        hub.createContext("/", this::hub);
        storage.createContext("/", this::storage);
        for (HttpServer s : List.of(hub, storage)) {
            s.setExecutor(Executors.newCachedThreadPool());
            s.start();
        }
    }

    Repo repo(String id) {
        return repos.computeIfAbsent(id, _ -> new Repo());
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    HubSettings settings(Path cache) {
        return new HubSettings(endpoint(), cache, null, false, false);
    }

    List<Request> on(String server) {
        return requests.stream().filter(r -> r.server.equals(server)).toList();
    }

    /** The storage GETs of the blob with this SHA-256. */
    List<Request> storageGets(String sha256) {
        return on("storage").stream().filter(r -> r.method.equals("GET") && r.path.equals("/blobs/" + sha256)).toList();
    }

    /** The resolve requests (HEAD or GET) for files whose name ends with {@code suffix}. */
    List<Request> resolves(String suffix) {
        return on("hub").stream().filter(r -> r.path.contains("/resolve/") && r.path.endsWith(suffix)).toList();
    }

    @Override
    public void close() {
        hub.stop(0);
        storage.stop(0);
    }

    // ---- the Hub ---------------------------------------------------------------------------------

    private void hub(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            record(ex, "hub");
            String[] parts = path.split("/", -1);
            for (var r : renamed.entrySet()) {
                String from = (path.startsWith("/api/models/") ? "/api/models/" : "/") + r.getKey() + "/";
                if (path.startsWith(from)) {
                    ex.getResponseHeaders().set("Location", from.replace(r.getKey(), r.getValue()) + path.substring(from.length()));
                    ex.sendResponseHeaders(307, -1);
                    return;
                }
            }
            if (path.startsWith("/api/models/") && parts.length == 7 && parts[5].equals("revision")) {
                modelInfo(ex, parts[3] + "/" + parts[4], decode(parts[6]));
            } else if (parts.length >= 6 && parts[3].equals("resolve")) {
                String file = decode(String.join("/", List.of(parts).subList(5, parts.length)));
                resolve(ex, parts[1] + "/" + parts[2], decode(parts[4]), file);
            } else {
                send(ex, 404, new byte[0]);
            }
        }
    }

    private void modelInfo(HttpExchange ex, String repoId, String revision) throws IOException {
        Repo repo = access(ex, repoId);
        if (repo == null) return;
        String sha = commitOf(repo, revision);
        if (sha == null) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        List<Map<String, Object>> siblings = new ArrayList<>();
        repo.commits.get(sha).forEach((name, b) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("rfilename", name);
            s.put("size", b.content().length);
            s.put("blobId", b.blobId());
            if (b.lfs()) s.put("lfs", Map.of("sha256", b.sha256(), "size", b.content().length, "pointerSize", 134));
            siblings.add(s);
        });
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("id", repoId);
        info.put("sha", sha);
        info.put("gated", repo.gatedToken != null ? "manual" : false);
        info.put("siblings", siblings);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, Json.line(info).getBytes(StandardCharsets.UTF_8));
    }

    private void resolve(HttpExchange ex, String repoId, String revision, String file) throws IOException {
        Repo repo = access(ex, repoId);
        if (repo == null) return;
        String sha = commitOf(repo, revision);
        if (sha == null) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        var h = ex.getResponseHeaders();
        h.set(HubClient.X_REPO_COMMIT, sha);
        Blob b = repo.commits.get(sha).get(file);
        if (b == null) {
            error(ex, 404, "EntryNotFound", "Entry not found");
            return;
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) heads.computeIfAbsent(file, _ -> new AtomicInteger()).incrementAndGet();
        if (b.lfs()) {
            lfs.put(b.sha256(), b.content());
            h.set("ETag", "\"" + b.blobId() + "\"");
            h.set(HubClient.X_LINKED_ETAG, "\"" + b.sha256() + "\"");
            h.set(HubClient.X_LINKED_SIZE, String.valueOf(b.content().length));
            // Another host name (and port) for the same loopback: the storage is not the Hub.
            h.set("Location", "http://localhost:" + storage.getAddress().getPort() + "/blobs/" + b.sha256() + "?file=" + file);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "W/\"" + b.blobId() + "\"");
        if (head) {
            h.set("Content-Length", String.valueOf(b.content().length));
            ex.sendResponseHeaders(200, -1);
        } else {
            send(ex, 200, b.content());
        }
    }

    /** The repo if the request may read it; otherwise the Hub's answer (401/403/404 with X-Error-Code) is sent and null returned. */
    private Repo access(HttpExchange ex, String repoId) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        Repo repo = repos.get(repoId);
        if (repo == null) {
            error(ex, auth == null ? 401 : 404, "RepoNotFound", "Repository not found");
            return null;
        }
        if (repo.gatedToken != null && !("Bearer " + repo.gatedToken).equals(auth)) {
            error(ex, auth == null ? 401 : 403, "GatedRepo", auth == null
                    ? "Access to model " + repoId + " is restricted. You must have access to it and be authenticated to access it. Please log in."
                    : "Access to model " + repoId + " is restricted and you are not in the authorized list.");
            return null;
        }
        return repo;
    }

    private static String commitOf(Repo repo, String revision) {
        if (repo.refs.containsKey(revision)) return repo.refs.get(revision);
        return repo.commits.containsKey(revision) ? revision : null;
    }

    // ---- storage (LFS / CDN) ---------------------------------------------------------------------

    private void storage(HttpExchange ex) throws IOException {
        try (ex) {
            record(ex, "storage");
            String path = ex.getRequestURI().getRawPath();
            byte[] content = path.startsWith("/blobs/") ? lfs.get(path.substring("/blobs/".length())) : null;
            if (content == null) {
                send(ex, 404, new byte[0]);
                return;
            }
            awaitSecondClient(ex.getRequestURI().getQuery());
            if (corrupt) {
                content = content.clone();
                content[content.length / 2] ^= 1;
            }
            long from = 0;
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
                from = Long.parseLong(range.substring(6, range.length() - 1));
                if (from >= content.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
            }
            long drop = dropNextAfter.getAndSet(-1), stall = stallNextAfter.getAndSet(-1);
            ex.sendResponseHeaders(from > 0 ? 206 : 200, content.length - from);
            OutputStream out = ex.getResponseBody();
            if (drop >= 0) {
                out.write(content, (int) from, (int) drop);
                out.flush();
                // Fewer bytes than announced: closing the exchange cuts the connection, as a network failure would.
                return;
            }
            if (stall >= 0) {
                out.write(content, (int) from, (int) stall);
                out.flush();
                sleep(3000);
                from += stall;
            }
            out.write(content, (int) from, (int) (content.length - from));
        } catch (IOException e) {
            // The cut connection above: nothing more to send.
        }
    }

    /** Holds a download until another client has asked for the same file, so two downloads overlap. */
    private void awaitSecondClient(String query) {
        if (holdUntilHeads <= 0 || query == null || !query.startsWith("file=")) return;
        String file = decode(query.substring(5));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (heads.getOrDefault(file, new AtomicInteger()).get() < holdUntilHeads && System.nanoTime() < deadline) {
            sleep(20);
        }
        sleep(300);   // the other client reaches the lock while this download still holds it
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void record(HttpExchange ex, String server) {
        var h = ex.getRequestHeaders();
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(), h.getFirst("Authorization"), h.getFirst("Range")));
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ex.getResponseHeaders().set(HubClient.X_ERROR_CODE, code);
        ex.getResponseHeaders().set(HubClient.X_ERROR_MESSAGE, message);
        send(ex, status, ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    static String hex(String algorithm, byte[] prefix, byte[] content) {
        try {
            MessageDigest d = MessageDigest.getInstance(algorithm);
            d.update(prefix);
            return HexFormat.of().formatHex(d.digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
