package dev.tune4j.io.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two downloads of the same model into the same cache at once, by two threads and by two processes
 * (this JVM and the CLI in another, configured only through the environment): the blob locks make
 * one wait for the other, so each file is fetched once and the cache ends up whole.
 */
class HubConcurrencyTest {
    @TempDir
    Path dir;
    FakeHub hub;
    Path cache;
    String commit;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        cache = dir.resolve("cache");
        commit = hub.repo("org/tiny").commit(TinyRepos.llamaRepo(dir.resolve("src"), 21), "main");
        hub.holdUntilHeads = 2;   // the weights' download waits until the other client asked for them too
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    @Test
    void twoThreadsDownloadingTheSameModelFetchEachFileOnce() throws Exception {
        List<CompletableFuture<Path>> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return HubSnapshots.resolve(HubId.parse("org/tiny"), hub.settings(cache));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (CompletableFuture<Path> r : runs) assertEquals(cache.resolve("models--org--tiny/snapshots/" + commit), r.get(60, TimeUnit.SECONDS));
        assertFetchedOnceAndWhole();
    }

    @Test
    void twoProcessesDownloadingTheSameModelFetchEachFileOnce() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.tune4j.cli.Main", "inspect", "org/tiny", "--json");
        Map<String, String> env = pb.environment();
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        env.put("HF_HUB_CACHE", cache.toString());
        env.put("HF_TOKEN_PATH", dir.resolve("no-token").toString());
        env.remove("HF_TOKEN");
        env.remove("HF_HUB_OFFLINE");
        pb.redirectOutput(dir.resolve("child.out").toFile()).redirectError(dir.resolve("child.err").toFile());
        Process child = pb.start();

        Path ours = HubSnapshots.resolve(HubId.parse("org/tiny"), hub.settings(cache));

        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the other process finished");
        assertEquals(0, child.exitValue(), () -> "the other process failed: " + read(dir.resolve("child.err")));
        assertTrue(read(dir.resolve("child.out")).contains("\"model\":\"org/tiny\""), read(dir.resolve("child.out")));
        assertFalse(read(dir.resolve("child.err")).contains("downloading"), "no progress under --json");
        assertEquals(cache.resolve("models--org--tiny/snapshots/" + commit), ours);
        assertFetchedOnceAndWhole();
    }

    private void assertFetchedOnceAndWhole() throws Exception {
        Path snapshot = cache.resolve("models--org--tiny/snapshots/" + commit);
        for (Map.Entry<String, FakeHub.Blob> e : hub.repos.get("org/tiny").commits.get(commit).entrySet()) {
            String name = e.getKey();
            FakeHub.Blob b = e.getValue();
            if (!Files.exists(snapshot.resolve(name))) continue;   // a file tune4j does not fetch
            long gets = b.lfs() ? hub.storageGets(b.sha256()).size()
                    : hub.resolves("/" + name).stream().filter(r -> r.method().equals("GET")).count();
            assertEquals(1, gets, name + " was downloaded once");
            assertArrayEquals(b.content(), Files.readAllBytes(snapshot.resolve(name)), name);
        }
        assertEquals(2, hub.resolves("/model.safetensors").stream().filter(r -> r.method().equals("HEAD")).count(),
                "both clients went for the weights at the same time");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "(" + e + ")";
        }
    }
}
