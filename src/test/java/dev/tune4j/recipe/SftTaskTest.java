package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.generate.Generator;
import dev.tune4j.generate.Sampling;
import dev.tune4j.generate.StopTokens;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.BpeFiles;
import dev.tune4j.tokenizer.BpeModel;
import dev.tune4j.tokenizer.BpeTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * task: sft end to end on instruction rows: rendered through the model's ChatML template, loss on
 * the responses only, the held-out masked loss falls, and the tuned model ends its answers with the
 * end-of-turn token (which is also its pad token). Packing gives the same kind of run in fewer rows.
 */
class SftTaskTest {
    @TempDir
    Path dir;

    private static final String[] NAMES = {"Anna", "Ben", "Carla", "Dev", "Emil", "Fatima", "Goran", "Hana", "Ivo", "June"};
    private static final String[][] LANGS = {{"French", "Bonjour"}, {"Spanish", "Hola"}, {"German", "Hallo"}, {"English", "Hello"}};

    private Path instructions() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String name : NAMES) {
            for (String[] lang : LANGS) {
                sb.append(Json.line(Map.of("instruction", "Greet " + name + " in " + lang[0] + ".", "input", "",
                        "output", lang[1] + ", " + name + "!"))).append('\n');
            }
        }
        return Files.writeString(dir.resolve("greetings.jsonl"), sb);
    }

    /** A config-only Llama with a BPE tokenizer trained on the task's words (its ChatML template, eos = pad = <|endoftext|>). */
    private Path model() throws Exception {
        BpeTrainer trainer = new BpeTrainer(300, 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        for (String name : NAMES) for (String[] lang : LANGS) trainer.add("Greet " + name + " in " + lang[0] + ". " + lang[1] + ", " + name + "! user assistant system");
        BpeModel bpe = trainer.train();
        Path model = Files.createDirectories(dir.resolve("base"));
        BpeFiles.write(bpe, model, 64);
        Map<String, Object> config = RandomCheckpoints.build("llama", Map.of("vocab_size", bpe.vocabSize(), "max_position_embeddings", 64,
                "bos_token_id", 0, "eos_token_id", 0), 1).config();
        Json.MAPPER.writeValue(model.resolve("config.json").toFile(), config);
        return model;
    }

    private RecipeLoader.Builder recipe(Path model, Path data, String out) {
        return Recipe.builder().set("model", model.toString()).set("task", "sft").set("train.init", "random")
                .set("data.train", data.toString()).set("data.validation", 0.2).set("data.max_length", 48).set("data.prepare", false)
                .set("method", "full").set("optimizer.lr", 3e-3).set("train.epochs", 16).set("train.batch_size", 4)
                .set("schedule.warmup_steps", 5).set("output", dir.resolve(out).toString());
    }

    @Test
    void responsesOnlyCarryLossAndTheTunedModelEndsItsTurn() throws Exception {
        Path model = model(), data = instructions();
        try (FineTune.Run run = FineTune.run(recipe(model, data, "sft").set("eval.samples", List.of("Greet Anna in French."))
                .set("eval.sample_tokens", 12).build(), FineTune.Options.quiet())) {
            JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
            double before = res.path("validation_before").path("loss").asDouble(), after = res.path("validation").path("loss").asDouble();
            JsonNode sft = res.path("sft");
            System.out.printf("SFT: held-out response loss %.3f -> %.3f; %s, %.0f%% of tokens carry loss%n", before, after,
                    sft.path("template").asText(), 100 * sft.path("loss_token_fraction").asDouble());
            assertTrue(after < before / 3, "the masked held-out loss should fall: " + before + " -> " + after);
            assertTrue(sft.path("template").asText().endsWith("tokenizer_config.json"), "the model's own template: " + sft);
            double frac = sft.path("loss_token_fraction").asDouble();
            assertTrue(frac > 0.1 && frac < 0.5, "only the responses (and their end of turn) carry loss: " + frac);

            // generation from the run folder renders the prompt through the same template and stops at the end of turn
            try (LanguageModel lm = FineTune.languageModel(run.dir().toString(), null)) {
                LanguageModel.Chat chat = lm.chat(null);
                assertEquals(List.of("<|im_end|>"), chat.endOfTurn());
                Generator g = new Generator(lm.model().model(), lm.model().requireTokenizer(), StopTokens.of(lm.model(), chat.endOfTurn()));
                int ended = 0;
                List<String> answers = new ArrayList<>();
                for (String name : new String[] {"Anna", "Dev", "Hana", "June"}) {
                    Generator.Result r = g.generate(chat.encoder().encode("Greet " + name + " in Spanish."), Sampling.GREEDY.withMaxNewTokens(16));
                    answers.add(r.text());
                    if (r.finish() == Generator.Finish.EOS) ended++;
                }
                System.out.println("SFT answers: " + answers);
                assertTrue(ended >= 3, "answers end with the end-of-turn token: " + answers);
            }
            assertTrue(Files.readAllLines(run.dir().resolve("samples.jsonl")).size() >= 2);

            // tune4j chat on the run: each line a user turn, through the same template
            java.io.InputStream oldIn = System.in;
            java.io.PrintStream oldOut = System.out, oldErr = System.err;
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(), err = new java.io.ByteArrayOutputStream();
            try {
                System.setIn(new java.io.ByteArrayInputStream("Greet Anna in Spanish.\n/reset\nGreet Dev in Spanish.\n/exit\n".getBytes()));
                System.setOut(new java.io.PrintStream(out, true));
                System.setErr(new java.io.PrintStream(err, true));
                assertEquals(0, dev.tune4j.cli.Main.execute("chat", "--model", run.dir().toString(), "--max-new-tokens", "16"));
            } finally {
                System.setIn(oldIn);
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
            List<String> lines = out.toString().lines().toList();
            System.out.println("tune4j chat: " + lines + " | " + err.toString().lines().toList());
            assertEquals(2, lines.size(), "one answer per turn: " + lines);
            assertTrue(lines.get(0).startsWith("Hola"), lines.get(0));
            assertTrue(err.toString().contains("conversation cleared"));
        }
    }

    @Test
    void packingFillsRowsWithSeveralExamplesAndStillLearns() throws Exception {
        Path model = model(), data = instructions();
        try (FineTune.Run run = FineTune.run(recipe(model, data, "packed").set("sft.packing", true).set("data.max_length", 64).set("train.epochs", 12).build(),
                FineTune.Options.quiet())) {
            JsonNode res = Json.MAPPER.readTree(run.dir().resolve("results.json").toFile());
            JsonNode sft = res.path("sft");
            System.out.printf("SFT packed: %d examples in %d rows, fill %.0f%%; held-out loss %.3f -> %.3f%n", sft.path("examples").asInt(),
                    sft.path("packed_rows").asInt(), 100 * sft.path("packing_fill").asDouble(),
                    res.path("validation_before").path("loss").asDouble(), res.path("validation").path("loss").asDouble());
            assertTrue(sft.path("packed_rows").asInt() * 2 <= sft.path("examples").asInt() + 2, "about two examples per row: " + sft);
            assertTrue(sft.path("packing_fill").asDouble() > 0.8, "rows nearly full: " + sft);
            assertTrue(res.path("validation").path("loss").asDouble() < res.path("validation_before").path("loss").asDouble() / 2);
        }
    }
}
