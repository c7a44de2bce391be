package dev.tune4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingProgressTest {

    @Test
    void noneWritesNothingAnywhere() {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (PrintStream sink = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(sink);
            System.setErr(sink);
            TrainingProgress progress = TrainingProgress.none();
            progress.start(10);
            for (int step = 1; step <= 10; step++) progress.step(step, 0.5, 800);
            progress.message("validation loss 0.2");
            progress.close();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals(0, captured.size());
    }

    @Test
    void linesComeAtMostOncePerIntervalWithoutControlCodes() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        long[] now = {0};
        TrainingProgress progress = new LineProgress(new PrintStream(captured, true, StandardCharsets.UTF_8), Duration.ofSeconds(15), () -> now[0]);
        progress.start(300);
        for (int step = 1; step <= 40; step++) {
            now[0] = step * 1_000_000_000L; // one second a step
            progress.step(step, 1.0 / step, 850);
        }
        progress.message("eval at step 40: loss 0.2100");
        progress.step(41, 0.02, 850);
        progress.close();

        String text = captured.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("\r") || text.contains("\u001b"), "control codes in " + text);
        assertEquals(List.of(
                "step 1/300  loss 1.0000  850 tok/s  elapsed 0:00:01  eta 0:04:59",
                "step 16/300  loss 0.0625  850 tok/s  elapsed 0:00:16  eta 0:04:44",
                "step 31/300  loss 0.0323  850 tok/s  elapsed 0:00:31  eta 0:04:29",
                "eval at step 40: loss 0.2100",
                "step 41/300  loss 0.0200  850 tok/s  elapsed 0:00:40  eta 0:04:12"), text.lines().toList());
    }

    @Test
    void terminalBarShowsStepLossAndSpeed() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        TrainingProgress progress = new TerminalProgress(new PrintStream(captured, true, StandardCharsets.UTF_8));
        progress.start(300);
        progress.step(300, 0.1234, 851);
        progress.close();
        String text = captured.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("300/300") && text.contains("loss 0.1234  851 tok/s"), text);
    }
}
