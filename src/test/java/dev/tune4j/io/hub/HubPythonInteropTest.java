package dev.tune4j.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The cache is shared with Python's huggingface_hub both ways: Python finds what we downloaded
 * (offline, and its cache scan sees no damage), and we use what Python downloaded. Needs a Python
 * with huggingface_hub ({@code TUNE4J_HF_PYTHON}, else {@code python3}); skipped without one.
 */
class HubPythonInteropTest {
    private static final String PYTHON = System.getenv().getOrDefault("TUNE4J_HF_PYTHON", "python3");
    private static final List<String> MODEL_FILES = List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json");

    @TempDir
    Path dir;
    FakeHub hub;
    Path cache;
    String commit;

    /** huggingface_hub's version, or null without it. */
    static String version;

    @BeforeAll
    static void findPython() throws Exception {
        version = python(Map.of(), "import huggingface_hub; print(huggingface_hub.__version__)");
        System.out.println(version == null ? "HubPythonInteropTest: skipped, no huggingface_hub for " + PYTHON + " (set TUNE4J_HF_PYTHON)"
                : "HubPythonInteropTest: huggingface_hub " + version.strip());
    }

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(version != null, "no Python with huggingface_hub");
        hub = new FakeHub();
        cache = dir.resolve("cache");
        commit = hub.repo("org/tiny").commit(TinyRepos.llamaRepo(dir.resolve("src"), 31), "main");
    }

    @AfterEach
    void stop() {
        if (hub != null) hub.close();
    }

    @Test
    void pythonFindsWhatWeDownloadedOffline() throws Exception {
        Path ours = HubSnapshots.resolve(HubId.parse("org/tiny"), hub.settings(cache));
        String out = python(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"), """
                import json
                from huggingface_hub import snapshot_download, hf_hub_download, scan_cache_dir
                snapshot = snapshot_download("org/tiny")
                weights = hf_hub_download("org/tiny", "model.safetensors")
                scan = scan_cache_dir()
                repo = [r for r in scan.repos if r.repo_id == "org/tiny"][0]
                print(json.dumps({"snapshot": snapshot, "weights": weights, "warnings": [str(w) for w in scan.warnings],
                                  "refs": sorted(ref for rev in repo.revisions for ref in rev.refs),
                                  "files": sorted(f.file_name for rev in repo.revisions for f in rev.files),
                                  "size": repo.size_on_disk}))
                """);
        assertNotNull(out, "Python failed; see its output above");
        JsonNode r = Json.MAPPER.readTree(out);
        assertEquals(ours.toString(), r.path("snapshot").asText());
        assertEquals(ours.resolve("model.safetensors").toString(), r.path("weights").asText());
        assertEquals(0, r.path("warnings").size(), "scan_cache_dir finds nothing wrong: " + r.path("warnings"));
        assertEquals("[\"main\"]", r.path("refs").toString());
        assertEquals(Json.line(MODEL_FILES), r.path("files").toString());
    }

    @Test
    void weUseWhatPythonDownloaded() throws Exception {
        String out = python(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", hub.endpoint().toString()), """
                from huggingface_hub import hf_hub_download
                for f in %s:
                    hf_hub_download("org/tiny", f)
                print("ok")
                """.formatted(Json.line(MODEL_FILES)));
        assertEquals("ok", out == null ? null : out.strip(), "Python downloaded the model");
        int storageGets = hub.on("storage").size();

        Path offline = HubSnapshots.resolve(HubId.parse("org/tiny"), hub.settings(cache).withOffline(true));
        assertEquals(cache.resolve("models--org--tiny/snapshots/" + commit), offline);
        Path online = HubSnapshots.resolve(HubId.parse("org/tiny"), hub.settings(cache));
        assertEquals(offline, online);
        assertEquals(storageGets, hub.on("storage").size(), "nothing downloaded again");
        try (PretrainedModel m = ModelLoader.load("org/tiny", new ModelLoader.Options(null, null, hub.settings(cache).withOffline(true)))) {
            assertEquals("llama", m.family().name());
        }
    }

    @Test
    void pythonAndWeDownloadingAtOnceWaitForEachOthersLocks() throws Exception {
        hub.holdUntilHeads = 2;   // the weights' download waits until the other tool asked for them too
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-c", """
                from huggingface_hub import hf_hub_download
                for f in %s:
                    hf_hub_download("org/tiny", f)
                """.formatted(Json.line(MODEL_FILES)));
        pb.environment().putAll(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", hub.endpoint().toString(),
                "NO_PROXY", "127.0.0.1,localhost", "HF_HUB_DISABLE_TELEMETRY", "1"));
        Process p = pb.inheritIO().start();

        Path ours = HubSnapshots.resolve(HubId.parse("org/tiny"), hub.settings(cache));

        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "Python downloaded the model too");
        FakeHub.Blob weights = hub.repos.get("org/tiny").commits.get(commit).get("model.safetensors");
        assertEquals(2, hub.resolves("/model.safetensors").stream().filter(r -> r.method().equals("HEAD")).count(), "both went for the weights");
        assertEquals(1, hub.storageGets(weights.sha256()).size(), "the weights were downloaded once: one tool waited on the other's flock");
        assertArrayEquals(weights.content(), Files.readAllBytes(ours.resolve("model.safetensors")));
    }

    /** Runs {@code code} with {@link #PYTHON}; its stdout, or null if it failed (its stderr goes to the test's). */
    private static String python(Map<String, String> env, String code) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-c", code));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.environment().put("NO_PROXY", "127.0.0.1,localhost");
        pb.environment().put("HF_HUB_DISABLE_TELEMETRY", "1");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return null;
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
    }
}
