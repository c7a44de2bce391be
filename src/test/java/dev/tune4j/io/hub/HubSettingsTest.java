package dev.tune4j.io.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The environment variables huggingface_hub reads, read the same way (from a map: the process environment is left alone). */
class HubSettingsTest {
    @TempDir
    Path dir;

    private final Path home = Path.of(System.getProperty("user.home"));

    @Test
    void withNothingSetTheDefaultsAreHuggingFaceHubs() {
        HubSettings s = HubSettings.fromEnv(Map.of("HF_TOKEN_PATH", dir.resolve("no-token").toString()));
        assertEquals(URI.create("https://huggingface.co"), s.endpoint());
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cache());
        assertNull(s.token());
        assertFalse(s.offline());
    }

    @Test
    void theCacheComesFromHfHubCacheElseHfHomeElseXdgCacheHome() {
        assertEquals(Path.of("/x/hub-cache"), HubSettings.fromEnv(Map.of("HF_HUB_CACHE", "/x/hub-cache", "HF_HOME", "/y")).cache());
        assertEquals(Path.of("/old/cache"), HubSettings.fromEnv(Map.of("HUGGINGFACE_HUB_CACHE", "/old/cache")).cache(), "the older name still counts");
        assertEquals(Path.of("/y/hub"), HubSettings.fromEnv(Map.of("HF_HOME", "/y")).cache());
        assertEquals(Path.of("/xdg/huggingface/hub"), HubSettings.fromEnv(Map.of("XDG_CACHE_HOME", "/xdg")).cache());
        assertEquals(home.resolve("models/hub"), HubSettings.fromEnv(Map.of("HF_HOME", "~/models")).cache(), "~ is the home folder");
    }

    @Test
    void theTokenComesFromHfTokenElseTheLoginFileAndIsNeverShown() throws Exception {
        Files.writeString(dir.resolve("token"), "hf_fromfile\n");
        HubSettings fromFile = HubSettings.fromEnv(Map.of("HF_HOME", dir.toString()));
        assertEquals("hf_fromfile", fromFile.token().value(), "the file huggingface-cli login writes, line break dropped");
        assertEquals(dir.resolve("token").toString(), fromFile.token().source());

        HubSettings fromEnv = HubSettings.fromEnv(Map.of("HF_HOME", dir.toString(), "HF_TOKEN", " hf_fromenv "));
        assertEquals("hf_fromenv", fromEnv.token().value(), "HF_TOKEN wins over the file");
        assertFalse(fromEnv.toString().contains("hf_fromenv"), fromEnv.toString());
        assertEquals("token from HF_TOKEN", fromEnv.token().toString());
    }

    @Test
    void offlineTheEndpointAndTheTimeoutAreReadAsPythonReadsThem() {
        for (String yes : new String[]{"1", "true", "YES", "on"}) assertTrue(HubSettings.fromEnv(Map.of("HF_HUB_OFFLINE", yes)).offline(), yes);
        assertFalse(HubSettings.fromEnv(Map.of("HF_HUB_OFFLINE", "0")).offline());
        assertTrue(HubSettings.fromEnv(Map.of("TRANSFORMERS_OFFLINE", "1")).offline());
        assertEquals(URI.create("https://hf-mirror.example"), HubSettings.fromEnv(Map.of("HF_ENDPOINT", "https://hf-mirror.example/")).endpoint(),
                "a trailing slash is dropped");
        assertEquals(Duration.ofSeconds(10), HubSettings.fromEnv(Map.of()).timeout());
        assertEquals(Duration.ofMillis(2500), HubSettings.fromEnv(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "2.5")).timeout());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HubSettings.fromEnv(Map.of("HF_ENDPOINT", "ftp://x")));
        assertEquals("HF_ENDPOINT 'ftp://x' is not an http(s) URL", e.getMessage());
    }
}
