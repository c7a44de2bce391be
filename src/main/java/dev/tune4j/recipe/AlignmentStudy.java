package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.generate.Generator;
import dev.tune4j.generate.Sampling;
import dev.tune4j.generate.StopTokens;
import dev.tune4j.io.IoErrors;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.Tokenizer;
import dev.tune4j.train.SequenceLogProbs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Preference alignment, measured on a task with a checkable answer. The small Llama of the
 * forgetting study (pre-trained on general text) is instruction-tuned on State of the Union
 * passages ("continue this opening"), then aligned to prefer modern prose: pairs share a prompt
 * (a passage's opening words), the chosen completion comes from an address of 1945 or later, the
 * rejected one from before 1900. Addresses are split three ways: training (SFT, pairs, reward
 * model), a judge's (a character n-gram classifier of the era, never used in training), and
 * held-out (evaluation prompts and held-out pairs). A reward model is trained with tune4j on the
 * pairs; DPO, PPO and GRPO start from the same SFT policy (LoRA, so each reference is the policy
 * with its adapter off). Each policy's samples for the held-out prompts are scored by the judge
 * (the modern rate), by the reward model, by their KL to the SFT policy, and the policy's
 * general-text perplexity measures forgetting. A reward model that the judge disagrees with
 * (reward up, modern rate flat) is reward hacking, reported as it comes.
 */
public final class AlignmentStudy {
    private AlignmentStudy() {}

    /**
     * @param lm            the pre-trained model's sizes (the forgetting study's scale)
     * @param passageWords  words per passage (prompt + completion)
     * @param promptWords   words of a passage that form its prompt
     * @param passages      passages taken from each address
     * @param evalPrompts   held-out prompts sampled for every policy
     */
    public record Scale(ForgettingStudy.Scale lm, int passageWords, int promptWords, int passages, int sftEpochs, int rmEpochs,
                        int dpoEpochs, int rlSteps, int rlPrompts, int rlSamples, int newTokens, int evalPrompts) {
        /** Tens of minutes to an hour on two cores. */
        public static final Scale FULL = new Scale(ForgettingStudy.Scale.FULL, 48, 8, 12, 2, 2, 2, 40, 8, 4, 32, 64);
        /** About half a minute: the test that keeps the study working. */
        public static final Scale SMALL = new Scale(ForgettingStudy.Scale.SMALL, 24, 5, 3, 1, 1, 1, 3, 2, 2, 8, 8);
    }

    static final int MODERN_FROM = 1945, OLD_BEFORE = 1900;

    /** A passage: its address's year, opening words and the rest. */
    record Passage(int year, String prompt, String rest) {
        boolean modern() { return year >= MODERN_FROM; }
        boolean old() { return year < OLD_BEFORE; }
    }

    public static List<Map<String, Object>> run(Path general, Path sotu, Path out, Scale s, long seed, Consumer<String> log,
                                                Consumer<Map<String, Object>> onResult) {
        try {
            Files.createDirectories(out);
            Path data = Files.createDirectories(out.resolve("data"));
            List<List<Passage>> split = passages(sotu, s);   // training, judge's, held-out
            List<Passage> train = split.get(0), judgeRows = split.get(1), held = split.get(2);
            writeSft(train, data.resolve("sft.jsonl"));
            int pairs = writePairs(train, data.resolve("pairs-train.jsonl"), seed);
            int heldPairs = writePairs(held, data.resolve("pairs-heldout.jsonl"), seed + 1);
            log.accept(train.size() + " training passages, " + pairs + " pairs (" + heldPairs + " held out), " + judgeRows.size() + " judge passages");

            Path pretrained = ForgettingStudy.pretrain(general, out.resolve("lm"), s.lm(), seed, log, r -> {});
            Path generalHeld = out.resolve("lm").resolve("data").resolve("general-heldout.jsonl");
            List<Map<String, Object>> rows = new ArrayList<>();

            long t0 = System.nanoTime();
            log.accept("SFT on State of the Union passages");
            Path sft = out.resolve("sft");
            try (FineTune.Run run = FineTune.run(common(pretrained.toString(), s, seed, sft).set("task", "sft").set("method", "full")
                    .set("data.train", data.resolve("sft.jsonl").toString()).set("data.validation", 0.1)
                    .set("train.epochs", s.sftEpochs()).set("optimizer.lr", 1e-3).build(), FineTune.Options.quiet())) {
                log.accept("SFT held-out loss " + ((Map<?, ?>) run.results().get("validation")).get("loss"));
            }
            double sftSeconds = (System.nanoTime() - t0) / 1e9;

            log.accept("judge: character n-grams on " + judgeRows.size() + " passages of other addresses");
            NgramBaseline judge = new NgramBaseline(2);
            List<Passage> judged = judgeRows.stream().filter(p -> p.modern() || p.old()).toList();
            judge.fit(judged.stream().map(p -> p.prompt() + " " + p.rest()).toList(), judged.stream().mapToInt(p -> p.modern() ? 1 : 0).toArray(), 10, 0.5, 1e-6, seed);
            List<Passage> heldEra = held.stream().filter(p -> p.modern() || p.old()).toList();
            int right = 0;
            for (Passage p : heldEra) if (judge.predict(p.prompt() + " " + p.rest()) == (p.modern() ? 1 : 0)) right++;
            Map<String, Object> judgeRow = new LinkedHashMap<>();
            judgeRow.put("row", "judge");
            judgeRow.put("held_out_accuracy", heldEra.isEmpty() ? Double.NaN : (double) right / heldEra.size());
            judgeRow.put("held_out_modern_rate_of_real_passages", heldEra.isEmpty() ? Double.NaN : heldEra.stream().filter(Passage::modern).count() / (double) heldEra.size());
            rows.add(judgeRow);
            onResult.accept(judgeRow);

            log.accept("reward model (Bradley-Terry) from the SFT policy");
            Path rm = out.resolve("reward");
            long t1 = System.nanoTime();
            try (FineTune.Run run = FineTune.run(pairsRecipe(sft.resolve("model"), data, s, seed, rm).set("task", "reward").set("method", "full")
                    .set("train.epochs", s.rmEpochs()).set("optimizer.lr", 5e-4).build(), FineTune.Options.quiet())) {
                Map<?, ?> v = (Map<?, ?>) run.results().get("validation"), b = (Map<?, ?>) run.results().get("validation_before");
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("row", "reward model");
                row.put("held_out_accuracy_before", b.get("accuracy"));
                row.put("held_out_accuracy", v.get("accuracy"));
                row.put("held_out_margin", v.get("margin"));
                row.put("seconds", (System.nanoTime() - t1) / 1e9);
                rows.add(row);
                onResult.accept(row);
            }

            List<Passage> prompts = evalPrompts(held, s.evalPrompts());
            try (RewardModel reward = RewardModel.load(rm, null); LanguageModel reference = LanguageModel.open(sft.resolve("model").toString(), null)) {
                Evaluation eval = new Evaluation(prompts, judge, reward, reference, generalHeld, s, seed);
                rows.add(report(eval.score("sft", sft.resolve("model").toString(), sftSeconds), onResult));
                Map<String, RecipeLoader.Builder> arms = new LinkedHashMap<>();
                arms.put("dpo", pairsRecipe(sft.resolve("model"), data, s, seed, out.resolve("dpo")).set("task", "dpo").set("preference.beta", 0.1)
                        .set("train.epochs", s.dpoEpochs()).set("optimizer.lr", 2e-3));
                for (String algo : List.of("ppo", "grpo")) {
                    arms.put(algo, pairsRecipe(sft.resolve("model"), data, s, seed, out.resolve(algo)).set("task", algo).set("rl.reward", rm.toString())
                            .set("rl.prompts", s.rlPrompts()).set("rl.samples", s.rlSamples()).set("rl.max_new_tokens", s.newTokens())
                            .set("rl.epochs", algo.equals("ppo") ? 2 : 1).set("rl.kl_coef", 0.05).set("train.max_steps", s.rlSteps())
                            .set("eval.every", 0).set("optimizer.lr", 2e-3));
                }
                for (var arm : arms.entrySet()) {
                    log.accept(arm.getKey() + " from the SFT policy");
                    long t = System.nanoTime();
                    try (FineTune.Run run = FineTune.run(arm.getValue().build(), FineTune.Options.quiet())) {
                        rows.add(report(eval.score(arm.getKey(), run.dir().toString(), (System.nanoTime() - t) / 1e9), onResult));
                    }
                }
            }
            Files.writeString(out.resolve("alignment.json"), Json.pretty(rows) + "\n");
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException("alignment study: " + IoErrors.describe(e), e);
        }
    }

    private static Map<String, Object> report(Map<String, Object> row, Consumer<Map<String, Object>> onResult) {
        onResult.accept(row);
        return row;
    }

    /** Samples of one policy for the held-out prompts, judged, rewarded, compared with the SFT policy; and its general perplexity. */
    private record Evaluation(List<Passage> prompts, NgramBaseline judge, RewardModel reward, LanguageModel reference, Path general, Scale s, long seed) {
        Map<String, Object> score(String name, String policyFolder, double seconds) throws IOException {
            try (LanguageModel policy = LanguageModel.open(policyFolder, null)) {
                Transformer lm = policy.model().model();
                Tokenizer tok = policy.model().requireTokenizer();
                LanguageModel.Chat chat = policy.chat(null);
                List<int[]> ids = new ArrayList<>();
                List<String> texts = new ArrayList<>();
                for (Passage p : prompts) {
                    ids.add(chat.encoder().encode(p.prompt()));
                    texts.add(p.prompt());
                }
                Generator g = new Generator(lm, tok, StopTokens.of(policy.model(), chat.endOfTurn()));
                List<Generator.Result> samples = g.generate(ids, new Sampling(1.0, 0, 1.0, 1.0, s.newTokens(), List.of(), seed), null);
                List<String> completions = samples.stream().map(r -> tok.decode(r.ids(), true)).toList();
                List<int[]> generated = samples.stream().map(Generator.Result::ids).toList();
                int modern = 0;
                for (String c : completions) if (judge.predict(c) == 1) modern++;
                double[] rewards = reward.score(texts, completions);
                SequenceLogProbs.Scores mine = SequenceLogProbs.score(lm, ids, generated), ref = SequenceLogProbs.score(reference.model().model(), ids, generated);
                double kl = 0, refLogProb = 0;
                long sampled = 0;
                for (int i = 0; i < ids.size(); i++) {
                    kl += (mine.sum()[i] - ref.sum()[i]) / ids.size();
                    refLogProb += ref.sum()[i];
                    sampled += generated.get(i).length;
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("row", name);
                row.put("judge_modern_rate", (double) modern / completions.size());
                row.put("reward_model_score", Arrays.stream(rewards).average().orElse(Double.NaN));
                row.put("kl_to_sft", kl);
                // How fluent the samples are by the SFT policy's own measure: a judge of surface
                // statistics (and a reward model) can call gibberish modern; this cannot call it fluent.
                row.put("sample_ppl_under_sft", sampled == 0 ? Double.NaN : Math.exp(-refLogProb / sampled));
                row.put("general_perplexity", perplexity(lm, tok, general, s.lm().seq()));
                row.put("sample", prompts.getFirst().prompt() + " | " + completions.getFirst());
                row.put("seconds", seconds);
                return row;
            }
        }
    }

    /** exp of the mean next-token loss over windows of the held-out general text. */
    static double perplexity(Transformer lm, Tokenizer tok, Path general, int window) throws IOException {
        double sum = 0;
        long count = 0;
        for (String line : Files.readAllLines(general)) {
            if (line.isBlank()) continue;
            int[] t = tok.encode(Json.MAPPER.readTree(line).path("text").asText(), Integer.MAX_VALUE).ids();
            List<int[]> heads = new ArrayList<>(), tails = new ArrayList<>();
            for (int from = 0; from + 1 < t.length; from += window) {
                int to = Math.min(t.length, from + window + 1);
                heads.add(new int[] {t[from]});
                tails.add(Arrays.copyOfRange(t, from + 1, to));
            }
            for (int b = 0; b < heads.size(); b += 8) {
                SequenceLogProbs.Scores sc = SequenceLogProbs.score(lm, heads.subList(b, Math.min(heads.size(), b + 8)), tails.subList(b, Math.min(tails.size(), b + 8)));
                for (int i = 0; i < sc.sum().length; i++) {
                    sum += sc.sum()[i];
                    count += sc.count()[i];
                }
            }
        }
        return Math.exp(-sum / Math.max(1, count));
    }

    private static RecipeLoader.Builder common(String model, Scale s, long seed, Path out) {
        return Recipe.builder().set("model", model).set("data.prepare", false).set("data.max_length", s.lm().seq())
                .set("train.batch_size", s.lm().batch()).set("train.seed", seed).set("eval.batch_size", 16).set("log.every", 5)
                .set("optimizer.weight_decay", 0.0).set("output", out.toString());
    }

    private static RecipeLoader.Builder pairsRecipe(Path model, Path data, Scale s, long seed, Path out) {
        return common(model.toString(), s, seed, out).set("method", "lora").set("lora.r", 8).set("lora.dropout", 0.0)
                .set("data.train", data.resolve("pairs-train.jsonl").toString()).set("data.validation", data.resolve("pairs-heldout.jsonl").toString())
                .set("schedule.name", "constant");
    }

    /** Passages of each address, split by address: every 5th held out, the next-to-every-5th the judge's, the rest training. */
    static List<List<Passage>> passages(Path sotu, Scale s) throws IOException {
        List<List<Passage>> out = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<String> lines = Files.readAllLines(sotu).stream().filter(l -> !l.isBlank()).toList();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode row = Json.MAPPER.readTree(lines.get(i));
            if (!row.path("year").canConvertToInt() || !row.path("text").isTextual()) throw new IllegalArgumentException(sotu + ": line " + (i + 1) + " needs year and text");
            int year = row.path("year").asInt();
            String[] words = row.path("text").asText().trim().split("\\s+");
            List<Passage> to = out.get(i % 5 == 4 ? 2 : i % 5 == 3 ? 1 : 0);
            for (int p = 0; p < s.passages() && (p + 1) * s.passageWords() <= words.length; p++) {
                int from = p * s.passageWords();
                to.add(new Passage(year, String.join(" ", Arrays.copyOfRange(words, from, from + s.promptWords())),
                        String.join(" ", Arrays.copyOfRange(words, from + s.promptWords(), from + s.passageWords()))));
            }
        }
        return out;
    }

    /** Instruction rows: the passage's opening words, its continuation. */
    private static void writeSft(List<Passage> passages, Path file) throws IOException {
        List<String> rows = new ArrayList<>();
        for (Passage p : passages) rows.add(Json.line(Map.of("instruction", p.prompt(), "output", p.rest())));
        Files.write(file, rows);
    }

    /**
     * Each modern passage paired with an old one, the prompt the opening of one of them in turn
     * (so the chosen side is not simply the one that continues its prompt).
     */
    private static int writePairs(List<Passage> passages, Path file, long seed) throws IOException {
        List<Passage> modern = new ArrayList<>(passages.stream().filter(Passage::modern).toList());
        List<Passage> old = new ArrayList<>(passages.stream().filter(Passage::old).toList());
        java.util.Collections.shuffle(old, new java.util.Random(seed));
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < Math.min(modern.size(), old.size()); i++) {
            Passage m = modern.get(i), o = old.get(i);
            rows.add(Json.line(Map.of("prompt", (i % 2 == 0 ? m : o).prompt(), "chosen", m.rest(), "rejected", o.rest())));
        }
        if (rows.isEmpty()) throw new IllegalArgumentException("no modern/old passage pairs: the addresses need years before " + OLD_BEFORE + " and from " + MODERN_FROM);
        Files.write(file, rows);
        return rows.size();
    }

    /** Up to n held-out prompts, modern and old alternately. */
    private static List<Passage> evalPrompts(List<Passage> held, int n) {
        List<Passage> modern = held.stream().filter(Passage::modern).toList(), old = held.stream().filter(Passage::old).toList();
        List<Passage> out = new ArrayList<>();
        for (int i = 0; out.size() < n && (i < modern.size() || i < old.size()); i++) {
            if (i < modern.size()) out.add(modern.get(i));
            if (i < old.size() && out.size() < n) out.add(old.get(i));
        }
        return out;
    }
}
