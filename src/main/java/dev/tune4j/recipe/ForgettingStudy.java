package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.io.IoErrors;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.BpeFiles;
import dev.tune4j.tokenizer.BpeTrainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Catastrophic forgetting, measured: a small Llama pre-trained by tune4j on general text (with a
 * byte-level BPE tokenizer trained by tune4j), then fine-tuned on a domain in several ways, each
 * scored on held-out domain text and held-out general text before and after. Fine-tuning should
 * lower the domain perplexity; a rise of the general one is forgetting, which replay, L2-SP, LoRA
 * and freezing layers are meant to reduce.
 *
 * <p>Every row is a text (JSONL {@code text} field). General rows are split every
 * {@code heldOutEvery}-th row held out (chapters of a book); domain rows likewise (whole documents
 * held out), and the domain's training rows are cut to about {@code domainChars} characters.
 */
public final class ForgettingStudy {
    private ForgettingStudy() {}

    /** The sizes of a study: the small model, how long each phase trains, how much domain text. */
    public record Scale(int vocab, int hidden, int layers, int heads, int kvHeads, int seq, int pretrainEpochs,
                        int finetuneEpochs, int generalChars, int domainChars, int heldOutChars, int heldOutEvery, int batch) {
        /** About 4.6M parameters; tens of minutes on two cores. */
        public static final Scale FULL = new Scale(4096, 256, 4, 4, 2, 128, 3, 2, Integer.MAX_VALUE, 300_000, 150_000, 10, 16);
        /** About a minute: for the test that keeps the study's code working. */
        public static final Scale SMALL = new Scale(600, 64, 2, 4, 2, 48, 2, 1, 60_000, 12_000, 12_000, 4, 8);
    }

    /** One way to fine-tune: a name and the recipe keys that make it. */
    public record Arm(String name, Map<String, Object> settings) {}

    public static final List<Arm> ARMS = List.of(
            new Arm("full", Map.of("method", "full")),
            new Arm("partial (first half frozen)", Map.of("method", "partial", "partial.freeze_embeddings", true)),
            new Arm("lora r8", Map.of("method", "lora", "optimizer.lr", 2e-3)),
            new Arm("full + replay 0.1", Map.of("method", "full", "replay.ratio", 0.1)),
            new Arm("full + replay 0.3", Map.of("method", "full", "replay.ratio", 0.3)),
            new Arm("full + L2-SP", Map.of("method", "full", "regularization.l2_sp", 0.05)));

    public static List<Map<String, Object>> run(Path general, Path domain, Path out, Scale s, long seed, Consumer<String> log,
                                                Consumer<Map<String, Object>> onResult) {
        try {
            Path data = Files.createDirectories(out.resolve("data"));
            split(domain, data.resolve("domain-train.jsonl"), data.resolve("domain-heldout.jsonl"), s.heldOutEvery(), s.domainChars(), s.heldOutChars(), seed);
            Path pretrained = pretrain(general, out, s, seed, log, onResult);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Arm arm : ARMS) {
                log.accept("fine-tuning: " + arm.name());
                long t1 = System.nanoTime();
                RecipeLoader.Builder b = common(pretrained.toString(), data, s, seed, out.resolve("arm-" + rows.size()))
                        .set("data.train", data.resolve("domain-train.jsonl").toString())
                        .set("data.validation", data.resolve("domain-heldout.jsonl").toString())
                        .set("eval.general", data.resolve("general-heldout.jsonl").toString())
                        .set("replay.data", data.resolve("general-train.jsonl").toString())
                        .set("train.epochs", s.finetuneEpochs()).set("optimizer.lr", 5e-4)
                        .set("partial.freeze_layers", s.layers() / 2);
                arm.settings().forEach(b::set);
                try (FineTune.Run run = FineTune.run(b.build(), FineTune.Options.quiet())) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> f = (Map<String, Object>) run.results().get("forgetting");
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("arm", arm.name());
                    row.putAll(f);
                    row.put("trainable", ((Map<?, ?>) run.results().get("parameters")).get("trainable"));
                    row.put("steps", run.results().get("steps"));
                    row.put("seconds", (System.nanoTime() - t1) / 1e9);
                    rows.add(row);
                    onResult.accept(row);
                }
            }
            Files.writeString(out.resolve("forgetting.json"), Json.pretty(rows) + "\n");
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException("forgetting study: " + IoErrors.describe(e), e);
        }
    }

    /**
     * The study's small Llama: a BPE tokenizer and the model pre-trained from scratch on the general
     * rows (every heldOutEvery-th held out, to {@code data/general-heldout.jsonl}); returns its folder.
     * Other studies (alignment) start from it too.
     */
    static Path pretrain(Path general, Path out, Scale s, long seed, Consumer<String> log, Consumer<Map<String, Object>> onResult) throws IOException {
        Path data = Files.createDirectories(out.resolve("data"));
        split(general, data.resolve("general-train.jsonl"), data.resolve("general-heldout.jsonl"), s.heldOutEvery(), s.generalChars(), s.heldOutChars(), seed);
        Path base = Files.createDirectories(out.resolve("base"));
        int vocab = tokenizer(data.resolve("general-train.jsonl"), base, s);
        Files.writeString(base.resolve("config.json"), Json.pretty(config(s, vocab)) + "\n");
        log.accept("pre-training a " + s.layers() + "-layer, " + s.hidden() + "-wide Llama (vocabulary " + vocab + ") on " + general.getFileName());
        long t0 = System.nanoTime();
        try (FineTune.Run pre = FineTune.run(common(base.toString(), data, s, seed, out.resolve("pretrain"))
                .set("data.train", data.resolve("general-train.jsonl").toString())
                .set("data.validation", data.resolve("general-heldout.jsonl").toString())
                .set("train.init", "random").set("method", "full").set("optimizer.lr", 2e-3)
                .set("train.epochs", s.pretrainEpochs()).set("schedule.warmup_steps", 20).build(), FineTune.Options.quiet())) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("arm", "pre-training");
            row.put("general_perplexity_after", perplexity(pre.results(), "validation"));
            row.put("seconds", (System.nanoTime() - t0) / 1e9);
            onResult.accept(row);
        }
        return out.resolve("pretrain").resolve("model");
    }

    private static RecipeLoader.Builder common(String model, Path data, Scale s, long seed, Path out) {
        return Recipe.builder().set("model", model).set("task", "causal_lm").set("data.prepare", false)
                .set("data.max_length", s.seq()).set("train.batch_size", s.batch()).set("train.seed", seed)
                .set("schedule.name", "cosine").set("eval.every", 0).set("eval.batch_size", 16)
                .set("optimizer.weight_decay", 0.0).set("output", out.toString());
    }

    private static double perplexity(Map<String, Object> results, String split) {
        return ((Number) ((Map<?, ?>) results.get(split)).get("perplexity")).doubleValue();
    }

    /** Every {@code every}-th row held out (the first ones, to about heldOutChars); training rows in a seeded order, cut to about maxChars. */
    private static void split(Path in, Path train, Path heldOut, int every, int maxChars, int heldOutChars, long seed) throws IOException {
        List<String> lines = Files.readAllLines(in).stream().filter(l -> !l.isBlank()).toList();
        List<String> kept = new ArrayList<>(), held = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode row = Json.MAPPER.readTree(lines.get(i));
            if (!row.path("text").isTextual()) throw new IllegalArgumentException(in + ": line " + (i + 1) + " has no text field");
            String line = Json.line(Map.of("text", row.path("text").asText()));
            (i % every == every - 1 ? held : kept).add(line);
        }
        java.util.Collections.shuffle(kept, new java.util.Random(seed));
        Files.write(train, upTo(kept, maxChars));
        Files.write(heldOut, upTo(held, heldOutChars));
    }

    private static List<String> upTo(List<String> lines, int maxChars) {
        List<String> out = new ArrayList<>();
        long chars = 0;
        for (String l : lines) {
            if (chars >= maxChars) break;
            out.add(l);
            chars += l.length();
        }
        return out;
    }

    private static int tokenizer(Path text, Path dir, Scale s) throws IOException {
        BpeTrainer t = new BpeTrainer(s.vocab(), 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        for (String l : Files.readAllLines(text)) t.add(Json.MAPPER.readTree(l).path("text").asText());
        var model = t.train();
        BpeFiles.write(model, dir, s.seq());
        return model.vocabSize();
    }

    private static ObjectNode config(Scale s, int vocab) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", 8 * s.hidden() / 3 / 16 * 16);
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("vocab_size", vocab);
        c.put("max_position_embeddings", s.seq());
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "silu");
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", 0);
        c.put("eos_token_id", 0);
        c.put("initializer_range", 0.02);
        c.put("torch_dtype", "float32");
        return c;
    }
}
