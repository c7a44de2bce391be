package dev.tune4j.io.hub;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** Download progress off a terminal: a line when a file starts and when it ends, nothing redrawn. */
class DownloadProgressTest {

    @Test
    void plainLinesSayWhatIsFetchedFromWhereAndWhenItIsDone() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DownloadProgress lines = new DownloadProgress.Lines(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try (DownloadProgress.Bar bar = lines.file("model.safetensors", 2_000_000, 500_000)) {
            bar.add(1_000_000);
            bar.add(500_000);
        }
        try (DownloadProgress.Bar bar = lines.file("tokenizer.json", 711_396, 0)) {
            bar.add(250_000);
        }
        try (DownloadProgress.Bar bar = lines.file("config.json", 612, 0)) {
            bar.add(612);
        }
        assertEquals("""
                downloading model.safetensors (2.0 MB, resuming at 500.0 kB)
                  model.safetensors: 2.0 MB, done
                downloading tokenizer.json (711.4 kB)
                  tokenizer.json: 250.0 kB, stopped
                downloading config.json (612 B)
                  config.json: 612 B, done
                """, bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
    }

    @Test
    void progressOffShowsNothing() {
        assertSame(DownloadProgress.NONE, DownloadProgress.of(false));
    }
}
