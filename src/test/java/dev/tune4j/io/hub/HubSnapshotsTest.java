package dev.tune4j.io.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Downloads from a local fake Hub (two servers: the Hub and the LFS storage it redirects to) into a
 * cache laid out as huggingface_hub lays it out; every failure a clear one-line error.
 */
class HubSnapshotsTest {
    private static final String TOKEN = "hf_SeCrEt0123456789";

    @TempDir
    Path dir;
    FakeHub hub;
    Path cache;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        cache = dir.resolve("hub-cache");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private String llama(String id) throws Exception {
        return hub.repo(id).commit(TinyRepos.llamaRepo(dir.resolve("src-" + id.replace('/', '-')), 7), "main");
    }

    private Path resolve(String spec) throws Exception {
        return HubSnapshots.resolve(HubId.parse(spec), hub.settings(cache));
    }

    @Test
    void downloadsOnlyTheModelFilesIntoTheLayoutOfHuggingFaceHubsCache() throws Exception {
        String commit = llama("org/tiny");
        Path snapshot = resolve("org/tiny");

        Path storage = cache.resolve("models--org--tiny");
        assertEquals(storage.resolve("snapshots").resolve(commit), snapshot);
        assertEquals(commit, Files.readString(storage.resolve("refs/main")), "refs/main holds the commit the branch resolved to");
        assertEquals(Set.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json"), names(snapshot),
                "no README, .gitattributes, pickle or ONNX export");
        FakeHub.Repo repo = hub.repos.get("org/tiny");
        for (String name : names(snapshot)) {
            FakeHub.Blob b = repo.commits.get(commit).get(name);
            Path pointer = snapshot.resolve(name);
            String etag = b.lfs() ? b.sha256() : b.gitBlobId();
            assertTrue(Files.isSymbolicLink(pointer), name + " is a symlink into blobs/");
            assertEquals(Path.of("../../blobs/" + etag), Files.readSymbolicLink(pointer), name + ": relative link named by the ETag");
            assertArrayEquals(b.content(), Files.readAllBytes(pointer), name);
            assertTrue(Files.exists(cache.resolve(".locks/models--org--tiny/" + etag + ".lock")), "the blob's lock file, where huggingface_hub puts it");
        }
        assertTrue(Files.readString(cache.resolve("CACHEDIR.TAG")).startsWith("Signature: 8a477f597d28d172789f06886806bc55"));
        try (Stream<Path> blobs = Files.list(storage.resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")), "no partial file is left behind");
        }
        assertTrue(hub.resolves(".bin").isEmpty() && hub.resolves("README.md").isEmpty() && hub.resolves(".onnx").isEmpty());

        int before = hub.requests.size();
        assertEquals(snapshot, resolve("org/tiny"));
        assertEquals(1, hub.requests.size() - before, "a complete snapshot costs one model-info request and no file request");
    }

    @Test
    void theTokenGoesToTheHubAndNeverToTheStorageHostARedirectLeadsTo() throws Exception {
        llama("org/gated");
        hub.repos.get("org/gated").gatedToken = TOKEN;
        HubSettings withToken = hub.settings(cache).withToken(new HubSettings.Token(TOKEN, "HF_TOKEN"));

        HubSnapshots.resolve(HubId.parse("org/gated"), withToken);

        assertFalse(hub.on("hub").isEmpty());
        assertTrue(hub.on("hub").stream().allMatch(r -> ("Bearer " + TOKEN).equals(r.authorization())), "every Hub request carries the token");
        assertFalse(hub.on("storage").isEmpty(), "LFS files came through the redirect to storage");
        assertTrue(hub.on("storage").stream().allMatch(r -> r.authorization() == null), "the storage host never sees the token");
    }

    @Test
    void aGatedRepoWithoutATokenIsA401ThatSaysHowToGetAccess() throws Exception {
        llama("org/gated");
        hub.repos.get("org/gated").gatedToken = TOKEN;

        String noToken = assertThrows(HubException.class, () -> resolve("org/gated")).getMessage();
        assertEquals("org/gated is a gated model: accept its conditions at " + hub.endpoint() + "/org/gated, then give an access token"
                + " (set HF_TOKEN or run huggingface-cli login)", noToken);

        HubSettings wrong = hub.settings(cache).withToken(new HubSettings.Token("hf_wrong", "/home/u/.cache/huggingface/token"));
        String refused = assertThrows(HubException.class, () -> HubSnapshots.resolve(HubId.parse("org/gated"), wrong)).getMessage();
        assertTrue(refused.contains("gated model and the token from /home/u/.cache/huggingface/token has no access"), refused);
        assertFalse(refused.contains("hf_wrong"), "the token itself is never printed");
        assertFalse(Files.exists(cache.resolve("models--org--gated/snapshots")));
    }

    @Test
    void anUnknownRepoOrRevisionIsAOneLineError() throws Exception {
        llama("org/tiny");
        String repo = assertThrows(HubException.class, () -> resolve("org/nope")).getMessage();
        assertTrue(repo.startsWith("no model org/nope on " + hub.endpoint() + ", nor a local folder of that name"), repo);
        String rev = assertThrows(HubException.class, () -> resolve("org/tiny@v9")).getMessage();
        assertEquals("org/tiny has no revision 'v9' on " + hub.endpoint() + " (a branch, tag or commit)", rev);
    }

    @Test
    void aRenamedRepoIsFollowedWhileItStaysOnTheHub() throws Exception {
        String commit = llama("org/new-name");
        hub.renamed.put("org/old-name", "org/new-name");

        Path snapshot = resolve("org/old-name");

        assertEquals(cache.resolve("models--org--old-name/snapshots/" + commit), snapshot, "cached under the name asked for, as huggingface_hub does");
        assertTrue(Files.exists(snapshot.resolve("model.safetensors")));
        assertTrue(hub.on("hub").stream().anyMatch(r -> r.path().startsWith("/org/new-name/resolve/")), "the redirect was followed");
    }

    @Test
    void aRevisionPinsABranchTagOrCommitAndSharedFilesShareABlob() throws Exception {
        FakeHub.Repo repo = hub.repo("org/tiny");
        String v1 = repo.commit(TinyRepos.llamaRepo(dir.resolve("v1"), 1), "v1");
        String v2 = repo.commit(TinyRepos.llamaRepo(dir.resolve("v2"), 2), "main");

        Path tagged = resolve("org/tiny@v1");
        Path latest = resolve("org/tiny");
        Path pinned = resolve("org/tiny@" + v1);

        assertEquals(cache.resolve("models--org--tiny/snapshots/" + v1), tagged);
        assertEquals(cache.resolve("models--org--tiny/snapshots/" + v2), latest);
        assertEquals(tagged, pinned);
        assertEquals(v1, Files.readString(cache.resolve("models--org--tiny/refs/v1")));
        assertFalse(Files.exists(cache.resolve("models--org--tiny/refs/" + v1)), "a commit needs no ref");
        assertArrayEquals(Files.readAllBytes(dir.resolve("v1/model.safetensors")), Files.readAllBytes(tagged.resolve("model.safetensors")));
        assertFalse(Files.isSameFile(tagged.resolve("model.safetensors"), latest.resolve("model.safetensors")), "different weights, different blobs");
        assertTrue(Files.isSameFile(tagged.resolve("tokenizer.json"), latest.resolve("tokenizer.json")), "the same tokenizer is one blob");
        assertEquals(1, hub.resolves("tokenizer.json").stream().filter(r -> r.method().equals("GET")).count(), "the shared tokenizer is downloaded once");
    }

    @Test
    void onlyTheShardsTheIndexListsAreFetched() throws Exception {
        Path src = TinyRepos.shardedRepo(dir.resolve("sharded"), 3);
        hub.repo("org/sharded").commit(src, "main");

        Path snapshot = resolve("org/sharded");

        Set<String> shards;
        try (Stream<Path> s = Files.list(src)) {
            shards = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("model-\\d+-of-\\d+\\.safetensors")).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> expected = new TreeSet<>(shards);
        expected.addAll(List.of("config.json", "tokenizer.json", "model.safetensors.index.json"));
        assertEquals(expected, names(snapshot));
        assertTrue(hub.resolves("model-old.safetensors").isEmpty() && hub.resolves("consolidated.safetensors").isEmpty(),
                "unlisted .safetensors files are not even asked about");
    }

    @Test
    void aRepoWithOnlyPicklesIsRefusedWithoutDownloadingThem() throws Exception {
        hub.repo("org/old").commit(TinyRepos.pickleRepo(dir.resolve("old")), "main");
        String m = assertThrows(HubException.class, () -> resolve("org/old")).getMessage();
        assertTrue(m.startsWith("org/old has PyTorch pickle weights only (pytorch_model.bin, training_args.bin); tune4j loads safetensors only"), m);
        assertTrue(hub.on("hub").stream().noneMatch(r -> r.path().contains("/resolve/")), "not one file was fetched");
    }

    @Test
    void aDroppedConnectionIsResumedWithARangeRequest() throws Exception {
        String commit = llama("org/tiny");
        FakeHub.Blob weights = hub.repos.get("org/tiny").commits.get(commit).get("model.safetensors");
        long half = weights.content().length / 2;
        hub.dropNextAfter.set(half);

        Path snapshot = resolve("org/tiny");

        List<FakeHub.Request> gets = hub.storageGets(weights.sha256());
        assertEquals(2, gets.size(), "the dropped download and its resumption");
        assertNull(gets.get(0).range());
        // resumed from the bytes that reached the file: at most what the server sent before it dropped
        // (an aborted connection may lose what was still in flight), and well past the start
        String range = gets.get(1).range();
        assertTrue(range != null && range.matches("bytes=\\d+-"), "a Range request: " + range);
        long from = Long.parseLong(range.substring(6, range.length() - 1));
        assertTrue(from > half / 2 && from <= half, "resumed near where the connection dropped (" + half + "): " + range);
        assertArrayEquals(weights.content(), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void aStalledDownloadIsCutAfterTheTimeoutAndResumed() throws Exception {
        String commit = llama("org/tiny");
        FakeHub.Blob weights = hub.repos.get("org/tiny").commits.get(commit).get("model.safetensors");
        hub.stallNextAfter.set(100_000);
        HubSettings impatient = new HubSettings(hub.endpoint(), cache, null, false, false, Duration.ofMillis(500));

        Path snapshot = HubSnapshots.resolve(HubId.parse("org/tiny"), impatient);

        List<FakeHub.Request> gets = hub.storageGets(weights.sha256());
        assertEquals(2, gets.size(), "the stalled download and its resumption");
        assertEquals("bytes=100000-", gets.get(1).range());
        assertArrayEquals(weights.content(), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void aPartialDownloadFromAnEarlierRunIsResumed() throws Exception {
        String commit = llama("org/tiny");
        FakeHub.Blob weights = hub.repos.get("org/tiny").commits.get(commit).get("model.safetensors");
        Path incomplete = cache.resolve("models--org--tiny/blobs/" + weights.sha256() + ".incomplete");
        Files.createDirectories(incomplete.getParent());
        Files.write(incomplete, java.util.Arrays.copyOf(weights.content(), 1000));   // what a killed run left

        Path snapshot = resolve("org/tiny");

        assertEquals(List.of("bytes=1000-"), hub.storageGets(weights.sha256()).stream().map(FakeHub.Request::range).toList());
        assertArrayEquals(weights.content(), Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertFalse(Files.exists(incomplete));
    }

    @Test
    void aChecksumMismatchIsRefusedAndNothingIsCached() throws Exception {
        String commit = llama("org/tiny");
        FakeHub.Blob weights = hub.repos.get("org/tiny").commits.get(commit).get("model.safetensors");
        hub.corrupt = true;

        String m = assertThrows(HubException.class, () -> resolve("org/tiny")).getMessage();

        assertTrue(m.startsWith("model.safetensors of org/tiny: SHA-256 mismatch: the Hub says " + weights.sha256() + ", the download has "), m);
        assertTrue(m.endsWith("the download was deleted and nothing was cached (run again; if it repeats, a proxy may be altering the file)"), m);
        Path blobs = cache.resolve("models--org--tiny/blobs");
        assertFalse(Files.exists(blobs.resolve(weights.sha256())));
        assertFalse(Files.exists(blobs.resolve(weights.sha256() + ".incomplete")), "a wrong partial is not kept to be resumed");
        assertFalse(Files.exists(cache.resolve("models--org--tiny/snapshots/" + commit + "/model.safetensors")));

        hub.corrupt = false;
        assertArrayEquals(weights.content(), Files.readAllBytes(resolve("org/tiny").resolve("model.safetensors")), "a clean retry succeeds");
    }

    @Test
    void offlineTheCacheAloneServesAndWhatIsMissingIsNamed() throws Exception {
        String commit = llama("org/tiny");
        Path online = resolve("org/tiny");
        int requests = hub.requests.size();
        HubSettings offline = hub.settings(cache).withOffline(true);

        assertEquals(online, HubSnapshots.resolve(HubId.parse("org/tiny"), offline), "main resolved through refs/main");
        assertEquals(online, HubSnapshots.resolve(HubId.parse("org/tiny@" + commit), offline));
        assertEquals(requests, hub.requests.size(), "offline asks nothing");

        String rev = assertThrows(HubException.class, () -> HubSnapshots.resolve(HubId.parse("org/tiny@v2"), offline)).getMessage();
        assertEquals("offline (HF_HUB_OFFLINE=1): the cache holds org/tiny but not its revision 'v2' (no refs/v2); cached commits: "
                + commit + " (name one as org/tiny@COMMIT)", rev);
        String repo = assertThrows(HubException.class, () -> HubSnapshots.resolve(HubId.parse("org/other"), offline)).getMessage();
        assertEquals("offline (HF_HUB_OFFLINE=1): org/other is not in the Hugging Face cache " + cache + " (download it once online)", repo);

        Files.delete(online.resolve("model.safetensors"));
        String file = assertThrows(HubException.class, () -> HubSnapshots.resolve(HubId.parse("org/tiny"), offline)).getMessage();
        assertEquals("offline (HF_HUB_OFFLINE=1): the cached snapshot of org/tiny (" + commit + ") lacks model.safetensors"
                + " (or model.safetensors.index.json and its shards)", file);
    }

    @Test
    void offlineAMissingShardIsNamed() throws Exception {
        String commit = hub.repo("org/sharded").commit(TinyRepos.shardedRepo(dir.resolve("sharded"), 3), "main");
        Path online = resolve("org/sharded");
        String shard;
        try (Stream<Path> s = Files.list(online)) {
            shard = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("model-0")).sorted().toList().getLast();
        }
        Files.delete(online.resolve(shard));

        String m = assertThrows(HubException.class, () -> HubSnapshots.resolve(HubId.parse("org/sharded"), hub.settings(cache).withOffline(true))).getMessage();
        assertEquals("offline (HF_HUB_OFFLINE=1): the cached snapshot of org/sharded (" + commit + ") lacks " + shard, m);
    }

    @Test
    void anUnreachableHubFallsBackToTheCache() throws Exception {
        llama("org/tiny");
        Path online = resolve("org/tiny");
        URI closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
        HubSettings down = new HubSettings(closed, cache, null, false, false);

        assertEquals(online, HubSnapshots.resolve(HubId.parse("org/tiny"), down));
        String m = assertThrows(HubException.class, () -> HubSnapshots.resolve(HubId.parse("org/tiny"), down.withCache(dir.resolve("empty")))).getMessage();
        assertEquals("cannot reach " + closed + " (connection refused): org/tiny is not in the Hugging Face cache " + dir.resolve("empty")
                + " (download it once online)", m);
    }

    private static Set<String> names(Path snapshot) throws Exception {
        try (Stream<Path> s = Files.walk(snapshot)) {
            return s.filter(p -> !Files.isDirectory(p)).map(p -> snapshot.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
