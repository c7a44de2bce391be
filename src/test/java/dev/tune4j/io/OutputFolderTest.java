package dev.tune4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The check every command makes before writing a folder names the folder and the reason it cannot be written. */
class OutputFolderTest {
    @TempDir
    Path dir;

    @Test
    void aFileInThePlaceOrOnThePathOfTheFolderIsTheReason() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        assertEquals("--out " + file + " exists and is not a folder",
                assertThrows(IllegalArgumentException.class, () -> OutputFolder.requireWritable(file, "--out")).getMessage());
        Path under = file.resolve("run/out");
        assertEquals("--out " + under + " cannot be created: " + file + " is a file, not a folder",
                assertThrows(IllegalArgumentException.class, () -> OutputFolder.requireWritable(under, "--out")).getMessage());
        OutputFolder.requireWritable(dir.resolve("new/nested"), "--out");
        OutputFolder.requireWritable(dir, "--out");
    }

    @Test
    void aFolderWithoutWritePermissionIsTheReason() throws Exception {
        Path locked = Files.createDirectories(dir.resolve("locked"));
        if (!locked.toFile().setWritable(false) || Files.isWritable(locked)) {
            System.out.println("OutputFolderTest: skipped the permission case: this user (root?) can write a read-only folder");
            return;
        }
        try {
            assertEquals("--out " + locked.resolve("out") + " cannot be created: " + locked + " is not writable (permission denied)",
                    assertThrows(IllegalArgumentException.class, () -> OutputFolder.requireWritable(locked.resolve("out"), "--out")).getMessage());
        } finally {
            locked.toFile().setWritable(true);
        }
    }
}
