package dev.tune4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
    @TempDir
    Path dir;

    @Test
    void pageShowsFinalMetricsPerClassFiguresAndConfusionCounts() throws IOException {
        String html = report(RunFixture.write(dir, true, true));
        for (String value : List.of("0.9753", "0.9669", "0.1234", "0.9735", "0.9641", "0.1402", ">527<", ">528<",
                "0.9799", "0.9394", ">395<", "147,456 trainable of 22,713,216 (0.65%)", "builtin:all-minilm-l6-v2"))
            assertTrue(html.contains(value), value);
        for (int count : new int[] {390, 5, 8, 124, 392, 4, 10, 122})
            assertTrue(Pattern.compile("<td style=\"background:rgba\\([^\"]*\">" + count + "</td>").matcher(html).find(), "confusion cell " + count);
        assertTrue(html.contains("test (scored once, after training)"));
        assertTrue(html.contains("validation (best step 150)"));
        assertTrue(html.contains("href=\"data-report.html\""));
    }

    @Test
    void everyCurveIsAChartWithAxesAndLegend() throws IOException {
        String html = report(RunFixture.write(dir, true, true));
        for (String id : List.of("train-loss", "train-lr", "train-grad-norm", "eval-loss", "eval-scores"))
            assertTrue(html.contains("<svg id='" + id + "'"), id);
        assertEquals(5, count(html, "<svg "));
        assertTrue(html.contains(">step</text>"), "x axis label");
        assertTrue(html.contains(">smoothed (EMA 0.9)</text>"), "legend of the training loss");
        assertTrue(html.contains(">macro-F1</text>"), "legend of the scores");
        assertFalse(html.contains("eval-perplexity"), "no perplexity for a classifier");
    }

    @Test
    void pageIsSelfContained() throws IOException {
        String html = report(RunFixture.write(dir, true, true));
        for (String outside : List.of("<script", "<link", "src=", "@import", "url(http"))
            assertFalse(html.contains(outside), outside);
    }

    @Test
    void configIsShownVerbatimAndEscaped() throws IOException {
        String html = report(RunFixture.write(dir, true, true));
        assertTrue(html.contains("# spam filter &lt;demo&gt; &amp; friends"));
        assertFalse(html.contains("<demo>"));
        assertTrue(html.contains("lora: {rank: 8, alpha: 16, targets: [q, v]}"));
    }

    @Test
    void writingLeavesOnlyTheReport() throws IOException {
        RunFixture.write(dir, true, true);
        RunReport.write(dir);
        Path written = RunReport.write(dir);
        assertEquals(dir.resolve("report.html"), written);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("config.yaml", "data-report.html", "metrics.jsonl", "report.html", "results.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void missingTestSplitIsSaidAndNotInvented() throws IOException {
        String html = report(RunFixture.write(dir, false, true));
        assertTrue(html.contains("No test split was scored."));
        assertFalse(html.contains("scored once"));
        assertFalse(html.contains("0.9641"));
    }

    @Test
    void runWithoutEvaluationsSaysSo() throws IOException {
        String html = report(RunFixture.write(dir, true, false));
        assertTrue(html.contains("No evaluation ran."));
        assertEquals(3, count(html, "<svg "), "the training charts only");
    }

    @Test
    void unfinishedRunStillShowsWhatItLogged() throws IOException {
        RunFixture.write(dir, true, true);
        Files.delete(dir.resolve("results.json"));
        String html = report(dir);
        assertTrue(html.contains("No results.json: the run did not finish."));
        assertTrue(html.contains("<svg id='train-loss'"));
        assertTrue(html.contains("No final metrics."));
    }

    @Test
    void languageModelShowsLossAndPerplexityOnly() throws IOException {
        Files.writeString(dir.resolve("metrics.jsonl"), """
                {"type":"train","step":1,"loss":3.2}
                {"type":"train","step":2,"loss":3.0,"lr":0.001}
                {"type":"eval","split":"validation","step":2,"loss":2.9,"perplexity":18.17}
                """);
        Files.writeString(dir.resolve("results.json"), """
                {"task":"causal-lm","method":"full","model":"tiny","best_step":2,
                 "validation":{"loss":2.9,"perplexity":18.17,"tokens":4096}}
                """);
        String html = report(dir);
        assertTrue(html.contains("<th>perplexity</th>") && html.contains(">18.17<") && html.contains(">4,096<"));
        assertFalse(html.contains("accuracy"));
        assertFalse(html.contains("Per class"));
        assertTrue(html.contains("<svg id='eval-perplexity'"));
        assertFalse(html.contains("eval-scores"));
        assertTrue(html.contains("No config.yaml in the run folder."));
    }

    @Test
    void malformedMetricsLineIsNamedByFileAndLine() throws IOException {
        Files.writeString(dir.resolve("metrics.jsonl"), "{\"type\":\"train\",\"step\":1,\"loss\":1}\n{\"type\":\"train\",\"st\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunReport.write(dir));
        assertTrue(e.getMessage().contains("metrics.jsonl:2: not valid JSON"), e.getMessage());
    }

    @Test
    void confusionMatrixOfTheWrongShapeIsRejected() throws IOException {
        Files.writeString(dir.resolve("results.json"), """
                {"validation":{"confusion":{"labels":["ham","spam"],"matrix":[[1,2],[3]]}}}
                """);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunReport.write(dir));
        assertEquals("results.json: validation.confusion: matrix must be 2 x 2 for its 2 labels", e.getMessage());
    }

    private static String report(Path dir) throws IOException {
        return Files.readString(RunReport.write(dir));
    }

    private static int count(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }
}
