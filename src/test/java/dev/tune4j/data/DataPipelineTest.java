package dev.tune4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataPipelineTest {

    static String row(String text, String label) {
        return "{\"text\": " + dev.tune4j.report.Json.line(text) + ", \"label\": \"" + label + "\"}";
    }

    static final String LONG = "The committee met on Tuesday to discuss the budget for the coming year and agreed to raise "
            + "spending on schools roads and parks while cutting administrative costs across every department of the city";

    /** One row for every rule, plus filler so that all three splits have rows. */
    static Path classificationFile(Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add(row("Cats and dogs living together in one small house by the sea", "ham"));  // 1 kept
        lines.add("{\"text\": \"broken\", ");                                                   // 2 malformed
        lines.add(row("   \u200B ", "ham"));                                                     // 3 empty after cleaning
        lines.add(row("<p>Fish &amp; chips <b>tonight</b> at the harbour</p>", "spam"));        // 4 html
        lines.add("{\"text\": \"no label at all\"}");                                           // 5 missing_field
        lines.add(row("cats and DOGS living   together in one small house by the sea", "ham")); // 6 exact dup of 1
        lines.add(row(LONG, "ham"));                                                            // 7 kept
        lines.add(row(LONG.replace("Tuesday", "Wednesday"), "ham"));                            // 8 near dup of 7
        lines.add(row("Scrambled or fried, the eternal question of breakfast", "eggs"));        // 9 label_not_allowed
        lines.add(row("Win a free cruise now", "spam"));                                        // 10 conflict
        lines.add(row("win a FREE cruise now", "ham"));                                         // 11 conflict
        lines.add(row("x".repeat(600), "spam"));                                                // 12 too_long_chars
        lines.add(row("Caf\u0065\u0301 au lait with \u0007 a bell", "ham"));                   // 13 nfc + control
        for (int i = 0; i < 40; i++) lines.add(row("Filler row number " + i + " with its own words " + Integer.toString(i * 7919, 36), i % 4 == 0 ? "spam" : "ham"));
        Path f = dir.resolve("in.jsonl");
        Files.write(f, lines);
        return f;
    }

    @Test
    void everyRuleIsCountedAndEveryDroppedRowHasAReason(@TempDir Path dir) throws Exception {
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(classificationFile(dir));
        cfg.out = dir.resolve("out");
        cfg.allowedLabels = Set.of("ham", "spam");
        cfg.maxChars = 500;
        PrepareResult res = DataPipeline.run(cfg);
        Map<String, Object> report = PreparedWriter.write(res, cfg);

        Map<String, Long> c = res.counts;
        assertEquals(53, c.get("rows_in"));
        assertEquals(1, c.get("malformed"));
        assertEquals(1, c.get("missing_field"));
        assertEquals(1, c.get("empty"));
        assertEquals(1, c.get("label_not_allowed"));
        assertEquals(1, c.get("too_long_chars"));
        assertEquals(2, c.get("conflicting_labels"));
        assertEquals(1, c.get("exact_duplicates"));
        assertEquals(1, c.get("near_duplicates"));
        assertEquals(1, c.get("html"));
        assertEquals(1, c.get("unicode_nfc"));
        assertEquals(2, c.get("control_chars"), "the bell and the zero-width space");
        assertEquals(53 - 9, c.get("rows_out"));
        assertEquals(c.get("rows_in") - c.get("rows_out"), res.rejects.size(), "one reject per dropped row");

        // rules chain: each one's rows out are the next one's rows in
        long prev = res.rowsIn;
        for (PrepareResult.RuleStat s : res.rules) {
            assertEquals(prev, s.rowsIn(), s.rule());
            prev = s.rowsOut();
        }
        assertEquals(res.rowsOut(), prev);

        // the prepared folder
        Path out = cfg.out;
        List<JsonNode> train = Prepared.split(out, "train"), val = Prepared.split(out, "validation"), test = Prepared.split(out, "test");
        assertEquals(res.rowsOut(), train.size() + val.size() + test.size());
        assertTrue(val.size() > 0 && test.size() > 0);
        Set<String> all = new HashSet<>();
        for (List<JsonNode> s : List.of(train, val, test)) for (JsonNode r : s) all.add(r.get("text").asText());
        assertTrue(all.contains("Fish & chips tonight at the harbour"));
        assertTrue(all.contains("Café au lait with a bell"));
        assertFalse(all.contains("Win a free cruise now"));
        JsonNode first = train.stream().filter(r -> r.get("meta").get("line").asInt() == 1).findFirst().orElse(null);
        if (first == null) first = val.stream().filter(r -> r.get("meta").get("line").asInt() == 1).findFirst().orElseThrow();
        assertEquals("ham", first.get("label").asText());

        List<JsonNode> rejects = Prepared.jsonl(out.resolve("rejects.jsonl"));
        Map<String, JsonNode> byReason = new HashMap<>();
        for (JsonNode r : rejects) byReason.putIfAbsent(r.get("reason").asText(), r);
        assertEquals(2, byReason.get("malformed").get("line").asInt());
        assertEquals("{\"text\": \"broken\", ", byReason.get("malformed").get("raw").asText());
        assertEquals(1, byReason.get("exact_duplicates").get("kept_line").asInt());
        assertEquals(7, byReason.get("near_duplicates").get("kept_line").asInt());
        assertTrue(byReason.get("near_duplicates").get("similarity").asDouble() >= 0.8);

        JsonNode labels = Prepared.json(out.resolve("labels.json"));
        assertEquals("[\"ham\",\"spam\"]", labels.get("labels").toString());
        JsonNode manifest = Prepared.json(out.resolve("dataset.json"));
        assertEquals("classification", manifest.get("schema").asText());
        assertEquals(train.size(), manifest.get("splits").get("train").get("rows").asInt());

        JsonNode rep = Prepared.json(out.resolve("data-report.json"));
        assertEquals(1, rep.get("counts").get("exact_duplicates").asInt());
        assertEquals(1, rep.get("counts").get("near_duplicates").asInt());
        assertEquals(report.get("rows_out"), (long) rep.get("rows_out").asInt());
        String html = Files.readString(out.resolve("data-report.html"));
        assertTrue(html.contains("<svg") && html.contains("Conflicting labels") && !html.contains("<script"));
    }

    @Test
    void keepFirstPolicyKeepsOneRowOfAConflictAndStillReportsIt(@TempDir Path dir) throws Exception {
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(classificationFile(dir));
        cfg.out = dir.resolve("out");
        cfg.conflicts = PrepareConfig.ConflictPolicy.KEEP_FIRST;
        PrepareResult res = DataPipeline.run(cfg);
        assertEquals(0, res.count("conflicting_labels"));
        assertEquals(2, res.count("exact_duplicates"));
        assertEquals(1, res.conflicts.size());
    }

    @Test
    void switchedOffRulesDoNothing(@TempDir Path dir) throws Exception {
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(classificationFile(dir));
        cfg.out = dir.resolve("out");
        cfg.cleaning = Set.of();
        cfg.dropEmpty = false;
        cfg.exactDedup = false;
        cfg.nearDedup = false;
        PrepareResult res = DataPipeline.run(cfg);
        for (String r : List.of("html", "unicode_nfc", "control_chars", "whitespace", "empty", "exact_duplicates", "near_duplicates", "conflicting_labels")) {
            assertEquals(0, res.count(r), r);
        }
        assertEquals(1, res.conflicts.size(), "conflicts are still reported");
        assertEquals(53 - 2, res.rowsOut(), "only the unreadable rows are gone");
    }

    @Test
    void instructionAndChatRowsWithoutResponsesAreDroppedAndDedupSidesDiffer(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("inst.jsonl");
        Files.write(f, List.of(
                "{\"instruction\": \"Say hi\", \"output\": \"Hi!\"}",
                "{\"instruction\": \"Say hi\", \"output\": \"Hello there!\"}",
                "{\"instruction\": \"Say bye\", \"input\": \"politely\", \"output\": \"   \"}",
                "{\"instruction\": \"Count to three\", \"output\": \"1 2 3\"}"));
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(f);
        cfg.out = dir.resolve("out");
        cfg.split = SplitSpec.parse("1/0/0");
        PrepareResult both = DataPipeline.run(cfg);
        assertEquals(1, both.count("missing_response"));
        assertEquals(0, both.count("exact_duplicates"), "same prompt, different answers: not duplicates on both sides");
        cfg.dedupSide = Schema.Side.PROMPT;
        PrepareResult prompt = DataPipeline.run(cfg);
        assertEquals(1, prompt.count("exact_duplicates"));

        Path chat = dir.resolve("chat.jsonl");
        Files.write(chat, List.of(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"anyone?\"}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}"));
        cfg.inputs = List.of(chat);
        cfg.fields = Map.of();
        PrepareResult c = DataPipeline.run(cfg);
        assertEquals(Schema.CHAT, c.mapping.schema);

        Path pref = dir.resolve("pref.jsonl");
        Files.write(pref, List.of(
                "{\"prompt\": \"2+2?\", \"chosen\": \"4\", \"rejected\": \"5\"}",
                "{\"prompt\": \"Capital of France?\", \"chosen\": \"Paris\", \"rejected\": \"\"}"));
        cfg.inputs = List.of(pref);
        PrepareResult p = DataPipeline.run(cfg);
        assertEquals(Schema.PREFERENCE, p.mapping.schema);
        assertEquals(1, p.count("missing_response"));
        assertEquals("{\"prompt\":\"2+2?\",\"chosen\":\"4\",\"rejected\":\"5\"}",
                dev.tune4j.report.Json.line(p.kept.get(0).toJson().without("meta")));
        cfg.inputs = List.of(chat);
        assertEquals(1, c.count("missing_response"));
        assertEquals(1, c.count("missing_field"), "the ShareGPT row lacks 'messages' once the mapping is fixed");
    }

    @Test
    void csvTsvTextAndJsonInputsMeetInOneDataSet(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.csv"), "text,label\n\"one, with comma\",x\n");
        Files.writeString(dir.resolve("b.json"), "[{\"text\": \"two\", \"label\": \"y\"}]");
        Files.writeString(dir.resolve("c.tsv"), "label\ttext\nx\tthree\n");
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(dir);
        cfg.out = dir.resolve("out");
        cfg.split = SplitSpec.parse("1/0/0");
        PrepareResult res = DataPipeline.run(cfg);
        assertEquals(List.of("one, with comma", "two", "three"), res.kept.stream().map(e -> e.texts[0]).toList());
        assertEquals(3, res.inputs.size());
    }

    @Test
    void outputsAreIdenticalAcrossRunsAndThreadCounts(@TempDir Path dir) throws Exception {
        Path in = LeakageCheckTest.planted(dir);
        int before = dev.tune4j.kernel.Parallel.threads();
        try {
            List<String> outputs = new ArrayList<>();
            for (int threads : new int[] {1, 3}) {
                dev.tune4j.kernel.Parallel.setThreads(threads);
                PrepareConfig cfg = new PrepareConfig();
                cfg.inputs = List.of(in);
                cfg.out = dir.resolve("out" + threads);
                PreparedWriter.write(DataPipeline.run(cfg), cfg);
                StringBuilder sb = new StringBuilder();
                for (String f : List.of("train.jsonl", "validation.jsonl", "test.jsonl", "rejects.jsonl", "leakage.jsonl", "dataset.json")) {
                    sb.append(Files.readString(cfg.out.resolve(f)));
                }
                outputs.add(sb.toString());
            }
            assertEquals(outputs.get(0), outputs.get(1));
        } finally {
            dev.tune4j.kernel.Parallel.setThreads(before);
        }
    }

    @Test
    void lengthFiltersCountCharactersAndTokensOfTheTargetTokenizer(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.jsonl");
        Files.write(f, List.of(
                "{\"text\": \"hi\"}",                                              // 2 chars: too short
                "{\"text\": \"a reasonable sentence\"}",                            // 3 words
                "{\"text\": \"one two three four five six seven eight nine\"}",   // 9 words: too many tokens
                "{\"text\": \"unbelievably\"}"));                                   // 1 word, 12 letters
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(f);
        cfg.out = dir.resolve("out");
        cfg.split = SplitSpec.parse("1/0/0");
        cfg.minChars = 3;
        cfg.maxTokens = 5;
        cfg.minTokens = 3;
        PrepareResult approx = DataPipeline.run(cfg);
        assertEquals(1, approx.count("too_short_chars"));
        assertEquals(1, approx.count("too_long_tokens"));
        assertEquals(1, approx.count("too_short_tokens"), "12 letters are 2 approximate tokens");
        assertEquals(List.of("a reasonable sentence"), approx.kept.stream().map(e -> e.texts[0]).toList());

        // with the target model's tokenizer "unbelievably" is 3 word pieces: it passes
        Path tok = dir.resolve("tokenizer.json");
        try (var in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, tok);
        }
        cfg.tokens = TokenCounter.huggingFace(tok);
        int pieces = cfg.tokens.count("unbelievably");
        PrepareResult bert = DataPipeline.run(cfg);
        assertTrue(pieces >= 3 && pieces <= 5, "unbelievably = " + pieces + " word pieces");
        assertEquals(0, bert.count("too_short_tokens"));
        assertEquals(List.of("a reasonable sentence", "unbelievably"), bert.kept.stream().map(e -> e.texts[0]).toList());
        assertEquals(pieces, bert.tokensAfter.max(), "histograms count in the same tokenizer");
    }
}
