package dev.tune4j.audit;

import dev.tune4j.model.SharedModels;
import dev.tune4j.data.Example;
import dev.tune4j.data.Origin;
import dev.tune4j.data.Schema;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.Recipe;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.Tokenizer;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.LmBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The response audit on a small random Llama with a real WordPiece tokenizer (and, once, the same Llama trained on a tiny grammar). */
class ResponseAuditTest {
    @TempDir
    Path dir;

    static Example instruction(int line, String instruction, String output) {
        return new Example(new Origin("sft.jsonl", line), Schema.INSTRUCTION, null, new String[] {instruction, "", output}, null, Map.of(), null);
    }

    static Example preference(int line, String prompt, String chosen, String rejected) {
        return new Example(new Origin("pref.jsonl", line), Schema.PREFERENCE, null, new String[] {prompt, chosen, rejected}, null, Map.of(), null);
    }

    @Test
    void thePlainFormatPutsTheResponseAfterABlankLineAndSaysWhereItIs() {
        PromptFormat.Rendered r = PromptFormat.plain().render(List.of(new PromptFormat.Turn("system", "be brief"), new PromptFormat.Turn("user", "hi")), "hello");
        assertEquals("be brief\n\nhi\n\nhello", r.text());
        assertEquals("hello", r.text().substring(r.responseStart(), r.responseEnd()));
        PromptFormat.Rendered none = PromptFormat.plain().render(List.of(), "only");
        assertEquals(0, none.responseStart());
    }

    /** The oracle: the engine's own causal-LM loss over the same tokens, with targets at the response's positions only. */
    @Test
    void theLossIsTheMeanNextTokenCrossEntropyOfTheResponseTokensOnly() throws Exception {
        try (PretrainedModel m = ModelLoader.load(TinyLlama.write(dir).toString())) {
            Tokenizer tok = m.requireTokenizer();
            String prompt = "name a colour", response = "the sea is blue today";
            ResponseScorer.Score s = new ResponseScorer(m, PromptFormat.plain(), 64, "tiny").score(List.of(new PromptFormat.Turn("user", prompt)), response);

            int[] ids = tok.encode(prompt + "\n\n" + response, 64).ids();      // [CLS] prompt response [SEP]
            int promptTokens = tok.encode(prompt, 64).ids().length - 2, responseTokens = tok.encode(response, 64).ids().length - 2;
            assertEquals(responseTokens, s.tokens());
            int[] targets = new int[ids.length];
            Arrays.fill(targets, LmBatch.IGNORE);
            for (int i = 1 + promptTokens; i < 1 + promptTokens + responseTokens; i++) targets[i - 1] = ids[i];
            m.model().train(false);
            double expected = new CausalLmObjective(m.model()).loss(new LmBatch(TokenBatch.of(ids, 1, ids.length), targets)).value().value().data()[0];
            assertEquals(expected, s.loss(), 1e-4);
            assertTrue(s.loss() > 5, "a random model is far from the text: " + s.loss());
            assertEquals(0, s.repetition());
            assertTrue(!s.truncated());

            ResponseScorer.Score cut = new ResponseScorer(m, PromptFormat.plain(), 6, "tiny").score(List.of(new PromptFormat.Turn("user", prompt)), response);
            assertEquals(responseTokens, cut.tokens(), "the length counts the whole response");
            assertTrue(cut.truncated());
        }
    }

    @Test
    void emptyResponsesNearIdenticalPairsAndTheUsersThresholdsFlagRows() throws Exception {
        try (PretrainedModel m = ModelLoader.load(TinyLlama.write(dir).toString())) {
            List<Example> sft = List.of(
                    instruction(1, "greet", "hello there, how are you"),
                    instruction(2, "greet", ""),
                    instruction(3, "sell", "buy now buy now buy now buy now buy now"),
                    instruction(4, "count", "one two three four five six seven eight nine ten eleven twelve"));
            ResponseAudit.Thresholds t = new ResponseAudit.Thresholds(Double.NaN, Double.NaN, 0.5, 0, 10, 0.8);
            ResponseAudit.Result r = ResponseAudit.run(m, "tiny", PromptFormat.plain(), sft, t, 64);
            assertEquals(List.of(), r.rows().get(0).reasons());
            assertEquals(List.of("empty_response"), r.rows().get(1).reasons());
            assertEquals(List.of("repetition_above"), r.rows().get(2).reasons(), "4-grams: 'buy now buy now' and 'now buy now buy' repeat");
            assertEquals(List.of("too_many_tokens"), r.rows().get(3).reasons());
            assertEquals(3, r.flagged());

            List<Example> pairs = List.of(
                    preference(1, "capital of france?", "Paris is the capital of France.", "Paris is the capital of France!"),
                    preference(2, "capital of france?", "Paris is the capital of France.", "I do not know, maybe Lyon or Marseille."));
            ResponseAudit.Result p = ResponseAudit.run(m, "tiny", PromptFormat.plain(), pairs, ResponseAudit.Thresholds.defaults(), 64);
            assertEquals(1.0, p.rows().get(0).pairSimilarity(), 1e-12, "punctuation does not count in word shingles");
            assertEquals(List.of("near_identical_pair"), p.rows().get(0).reasons());
            assertEquals(List.of(), p.rows().get(1).reasons());
            assertEquals(List.of("chosen", "rejected"), p.rows().get(1).parts().stream().map(ResponseAudit.Part::name).toList());
        }
    }

    @Test
    void anEncoderIsRefusedWithAReason() {
        String m = assertThrows(IllegalArgumentException.class, () -> ResponseAudit.run(SharedModels.miniLm(), "builtin:all-minilm-l6-v2",
                PromptFormat.plain(), List.of(instruction(1, "a", "b")), ResponseAudit.Thresholds.defaults(), 32)).getMessage();
        assertTrue(m.contains("not a decoder with a language-model head"), m);
    }

    /**
     * The tiny Llama fine-tuned on sentences of a small grammar: responses from the grammar get a
     * low loss, planted garbage (words from outside it) the highest, and a threshold between drops it.
     */
    @Test
    void aModelThatKnowsTheDataGivesPlantedGarbageTheHighestLoss() throws Exception {
        String[] who = {"the cat", "a dog", "my friend", "the captain"}, did = {"sat on", "looked at", "walked to", "sailed past"},
                what = {"the mat", "the harbour", "a whale", "the old ship"};
        SplittableRandom rng = new SplittableRandom(3);
        StringBuilder text = new StringBuilder();
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String s = who[rng.nextInt(4)] + " " + did[rng.nextInt(4)] + " " + what[rng.nextInt(4)] + ".";
            sentences.add(s);
            text.append(Json.line(Map.of("text", s))).append('\n');
        }
        Path data = dir.resolve("grammar.jsonl");
        Files.writeString(data, text);
        var recipe = Recipe.builder().set("model", TinyLlama.write(dir).toString()).set("task", "causal_lm").set("data.train", data.toString())
                .set("data.validation", 0.1).set("data.max_length", 32).set("data.prepare", false).set("method", "full").set("optimizer.lr", 3e-3)
                .set("train.epochs", 3).set("train.batch_size", 8).set("output", dir.resolve("lm").toString()).build();
        try (FineTune.Run run = FineTune.run(recipe, FineTune.Options.quiet())) {
            assertTrue(Files.exists(run.dir().resolve("model")));
        }
        List<Example> rows = new ArrayList<>();
        for (int i = 0; i < 30; i++) rows.add(instruction(i + 1, "tell me what happened", sentences.get(i)));
        List<Integer> planted = List.of(7, 19, 26);
        String[] garbage = {"quantum zebra invoices photosynthesis", "xylophone entropy kilowatt syntax", "mortgage bicycle neutron tapestry"};
        for (int k = 0; k < 3; k++) rows.set(planted.get(k), instruction(planted.get(k) + 1, "tell me what happened", garbage[k]));
        try (PretrainedModel m = ModelLoader.load(dir.resolve("lm/model").toString())) {
            ResponseAudit.Result r = ResponseAudit.run(m, "lm", PromptFormat.plain(), rows, ResponseAudit.Thresholds.defaults(), 64);
            List<ResponseAudit.Row> byLoss = new ArrayList<>(r.rows());
            byLoss.sort(Comparator.comparingDouble((ResponseAudit.Row x) -> x.parts().getFirst().score().loss()).reversed());
            double worstGrammar = byLoss.get(3).parts().getFirst().score().loss(), bestGarbage = byLoss.get(2).parts().getFirst().score().loss();
            System.out.printf("AUDIT responses: garbage loss >= %.2f nats/token, grammar <= %.2f%n", bestGarbage, worstGrammar);
            assertEquals(planted.stream().sorted().toList(), byLoss.subList(0, 3).stream().map(x -> rows.indexOf(x.example())).sorted().toList());
            double cut = (bestGarbage + worstGrammar) / 2;
            ResponseAudit.Result dropped = ResponseAudit.run(m, "lm", PromptFormat.plain(), rows,
                    new ResponseAudit.Thresholds(cut, Double.NaN, 1, 0, 0, 0.8), 64);
            assertEquals(3, dropped.flagged());
            assertTrue(dropped.rows().stream().filter(ResponseAudit.Row::flagged).allMatch(x -> x.reasons().equals(List.of("loss_above"))));
        }
    }
}
