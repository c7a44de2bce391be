package dev.tune4j.recipe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class SpamDemoTest {
    @TempDir
    Path dir;

    /** The split hangs on the data file's name and lines: two demo runs must read the same name, or they score on different rows. */
    @Test
    void everyRunReadsTheSameFileNameAndBytesSoTheSplitIsTheSame() throws Exception {
        Path first = Path.of(SpamDemo.recipe(dir.resolve("a")).build().recipe().data().train());
        Path second = Path.of(SpamDemo.recipe(dir.resolve("b")).build().recipe().data().train());
        assertNotEquals(first, second, "each run has its own temporary copy");
        assertEquals(first.getFileName(), second.getFileName());
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    }
}
