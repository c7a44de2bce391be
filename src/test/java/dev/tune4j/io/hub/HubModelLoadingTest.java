package dev.tune4j.io.hub;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** {@code ModelLoader.load("org/name")}: a Hub id becomes the cached snapshot folder, then loads as any folder. */
class HubModelLoadingTest {
    @TempDir
    Path dir;
    FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private ModelLoader.Options options() {
        return new ModelLoader.Options(null, null, hub.settings(dir.resolve("cache")));
    }

    @Test
    void aHubIdLoadsTheSameModelAsItsFolder() throws Exception {
        Path src = TinyRepos.llamaRepo(dir.resolve("src"), 11);
        hub.repo("HuggingFaceTB/tiny-llama").commit(src, "main");
        try (PretrainedModel local = ModelLoader.load(src.toString());
             PretrainedModel fromHub = ModelLoader.load("HuggingFaceTB/tiny-llama", options())) {
            assertEquals("HuggingFaceTB/tiny-llama", fromHub.spec());
            assertSameWeights(local, fromHub);
            assertNotNull(fromHub.tokenizer(), "tokenizer.json came along");
            assertArrayEquals(local.tokenizer().encode("the cat sat").ids(), fromHub.tokenizer().encode("the cat sat").ids());
        }
    }

    @Test
    void aShardedHubModelLoadsFromItsListedShards() throws Exception {
        Path src = TinyRepos.shardedRepo(dir.resolve("sharded"), 12);
        hub.repo("org/sharded").commit(src, "main");
        try (PretrainedModel local = ModelLoader.load(src.resolve("model.safetensors.index.json").toString());
             PretrainedModel fromHub = ModelLoader.load("org/sharded@main", options())) {
            assertSameWeights(local, fromHub);
        }
    }

    @Test
    void aLocalFolderWinsOverAHubIdOfTheSameShape() throws Exception {
        // A relative path shaped like org/name: the working folder is the project, so under target/.
        String spec = "target/hub-local-" + UUID.randomUUID().toString().substring(0, 8);
        Path local = TinyRepos.llamaRepo(Path.of(spec), 13);
        try {
            hub.repo(spec).commit(TinyRepos.llamaRepo(dir.resolve("other"), 14), "main");
            try (PretrainedModel m = ModelLoader.load(spec, options())) {
                assertTrue(hub.requests.isEmpty(), "the Hub was not asked");
                assertEquals(local.resolve("config.json"), m.sourceFiles().stream().filter(p -> p.endsWith("config.json")).findFirst().orElseThrow());
            }
        } finally {
            try (Stream<Path> s = Files.walk(local)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }

    private static void assertSameWeights(PretrainedModel a, PretrainedModel b) {
        Map<String, Parameter> pa = a.namedParameters(), pb = b.namedParameters();
        assertEquals(pa.keySet(), pb.keySet());
        for (String name : pa.keySet()) {
            assertArrayEquals(pa.get(name).value().toHeap().data(), pb.get(name).value().toHeap().data(), name);
        }
    }
}
