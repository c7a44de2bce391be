package dev.tune4j.io.hub;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Hub ids have the shape huggingface_hub accepts, with an optional @revision. */
class HubIdTest {

    @Test
    void anIdIsOrgSlashNameWithAnOptionalRevision() {
        assertEquals(new HubId("HuggingFaceTB/SmolLM2-135M", "main"), HubId.parse("HuggingFaceTB/SmolLM2-135M"));
        assertEquals(new HubId("Qwen/Qwen2.5-0.5B", "v1.0"), HubId.parse("Qwen/Qwen2.5-0.5B@v1.0"));
        assertEquals(new HubId("org/name", "refs/pr/1"), HubId.parse("org/name@refs/pr/1"), "a revision may hold slashes");
        assertEquals("models--HuggingFaceTB--SmolLM2-135M", HubId.parse("HuggingFaceTB/SmolLM2-135M").cacheFolderName());
        assertEquals("org/name@v2", HubId.parse("org/name@v2").toString());
        assertEquals("org/name", HubId.parse("org/name@main").toString());
    }

    @Test
    void aFullCommitHashNeedsNoLookUp() {
        assertTrue(HubId.parse("org/name@0123456789abcdef0123456789abcdef01234567").isCommit());
        assertFalse(HubId.parse("org/name@0123456").isCommit(), "a short hash is resolved by the Hub like a branch");
        assertFalse(HubId.parse("org/name").isCommit());
    }

    @Test
    void whatIsNotAHubIdIsRecognisedAsSuch() {
        for (String s : new String[]{"model", "/abs/path/model", "./model", "a/b/c", "org/", "/name", "org/na me", "org/name@",
                "org--x/name", "org/name.", "org/-name", "org/name.git", "org/na..me", "org/name@../../x", "org/name@a//b",
                "builtin:all-minilm-l6-v2", "onnx:m/model.onnx", "C:\\models\\x"}) {
            assertFalse(HubId.matches(s), s);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HubId.parse("a/b/c"));
        assertEquals("'a/b/c' is not a Hub id (expected org/name or org/name@revision)", e.getMessage());
    }
}
