package dev.tune4j.recipe;

import dev.tune4j.io.IoErrors;
import dev.tune4j.data.DataPipeline;
import dev.tune4j.data.Example;
import dev.tune4j.data.PrepareConfig;
import dev.tune4j.data.Schema;
import dev.tune4j.data.SplitSpec;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The fine-tuning study: one labelled file cleaned and deduplicated once, a fixed draw of training,
 * validation and held-out rows, and the same classifier trained by each method on exactly those
 * rows; the held-out rows are scored once per method. Methods: head only (frozen encoder), LoRA,
 * partial, full, and the same architecture from random weights.
 */
public final class Study {
    private Study() {}

    /** One arm: a method and the recipe keys that make it. */
    public record Variant(String name, Map<String, Object> settings) {}

    public static final List<Variant> VARIANTS = List.of(
            new Variant("head", Map.of("method", "head", "optimizer.lr", 2e-3)),
            new Variant("lora", Map.of("method", "lora", "optimizer.lr", 1e-3)),
            new Variant("partial", Map.of("method", "partial", "partial.freeze_layers", 3, "optimizer.lr", 1e-4)),
            new Variant("full", Map.of("method", "full", "optimizer.lr", 5e-5)),
            new Variant("scratch", Map.of("method", "full", "train.init", "random", "optimizer.lr", 5e-4)));

    /**
     * @param trainRows rows to train on; {@code validationRows} more for early stopping; {@code heldOut} scored once
     * @param onResult  called with each arm's results as it finishes
     */
    public static List<Map<String, Object>> run(String model, Path data, int trainRows, int validationRows, int heldOut, int maxLength, int epochs,
                                                List<String> arms, Path out, long seed, Consumer<Map<String, Object>> onResult) {
        for (String arm : arms) {     // every arm known before the first one spends minutes training
            if (!arm.equals("ngram") && VARIANTS.stream().noneMatch(x -> x.name().equals(arm))) {
                throw new IllegalArgumentException("unknown study arm '" + arm + "' (expected head, lora, partial, full, scratch, ngram)");
            }
        }
        Path split = out.resolve("split");
        drawSplit(data, trainRows, validationRows, heldOut, split, seed);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String arm : arms) {
            if (arm.equals("ngram")) {
                Map<String, Object> row = ngram(split, seed);
                rows.add(row);
                onResult.accept(row);
                continue;
            }
            Variant v = VARIANTS.stream().filter(x -> x.name().equals(arm)).findFirst().orElseThrow();
            RecipeLoader.Builder b = Recipe.builder()
                    .set("model", model).set("task", "classification")
                    .set("data.train", split.resolve("train.jsonl").toString())
                    .set("data.validation", split.resolve("validation.jsonl").toString())
                    .set("data.test", split.resolve("heldout.jsonl").toString())
                    .set("data.prepare", false).set("data.max_length", maxLength)
                    .set("train.epochs", epochs).set("train.batch_size", 16).set("train.seed", seed)
                    .set("schedule.name", "linear").set("schedule.warmup_steps", 10)
                    .set("eval.every", 0).set("eval.batch_size", 32)
                    .set("output", out.resolve(v.name() + "-" + maxLength).toString());
            v.settings().forEach(b::set);
            resetPeaks();
            long t0 = System.nanoTime();
            try (FineTune.Run r = FineTune.run(b.build(), FineTune.Options.quiet().withOverwrite(true))) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("arm", v.name());
                row.put("max_length", maxLength);
                @SuppressWarnings("unchecked")
                Map<String, Object> test = (Map<String, Object>) r.results().get("test");
                row.put("accuracy", test.get("accuracy"));
                row.put("macro_f1", test.get("macro_f1"));
                row.put("held_out", test.get("examples"));
                row.put("trainable_parameters", ((Map<?, ?>) r.results().get("parameters")).get("trainable"));
                row.put("peak_heap_mb", peakHeapMb());
                row.put("peak_rss_mb", peakRssMb());
                row.put("wall_s", (System.nanoTime() - t0) / 1e9);
                rows.add(row);
                onResult.accept(row);
            }
        }
        return rows;
    }

    /** The classical baseline on the same rows: character n-gram TF-IDF + logistic regression. */
    private static Map<String, Object> ngram(Path split, long seed) {
        LabelledRows train = LabelledRows.read(split.resolve("train.jsonl"), "text", "label");
        LabelledRows test = LabelledRows.read(split.resolve("heldout.jsonl"), "text", "label");
        List<String> labels = new ArrayList<>(new java.util.TreeSet<>(train.labels()));
        int[] y = train.labels().stream().mapToInt(labels::indexOf).toArray();
        int[] yt = test.labels().stream().mapToInt(labels::indexOf).toArray();
        resetPeaks();
        long t0 = System.nanoTime();
        NgramBaseline m = new NgramBaseline(labels.size());
        m.fit(train.texts(), y, 10, 0.5, 1e-6, seed);
        int[] pred = test.texts().stream().mapToInt(m::predict).toArray();
        double[] s = NgramBaseline.scores(pred, yt, labels.size());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("arm", "ngram");
        row.put("max_length", 0);
        row.put("accuracy", s[0]);
        row.put("macro_f1", s[1]);
        row.put("held_out", yt.length);
        row.put("trainable_parameters", (long) labels.size() * (1 << 18));
        row.put("peak_heap_mb", peakHeapMb());
        row.put("peak_rss_mb", peakRssMb());
        row.put("wall_s", (System.nanoTime() - t0) / 1e9);
        return row;
    }

    /** Cleans and deduplicates the whole file once, then draws disjoint train / validation / held-out rows. */
    private static void drawSplit(Path data, int trainRows, int validationRows, int heldOut, Path dir, long seed) {
        List<Example> all = shuffled(data, seed);
        long wanted = (long) trainRows + validationRows + heldOut;
        if (all.size() < wanted) {
            throw new IllegalArgumentException(data + ": " + all.size() + " rows after cleaning, fewer than the " + wanted + " asked for");
        }
        try {
            Files.createDirectories(dir);
            write(dir.resolve("train.jsonl"), all.subList(0, trainRows));
            write(dir.resolve("validation.jsonl"), all.subList(trainRows, trainRows + validationRows));
            write(dir.resolve("heldout.jsonl"), all.subList(trainRows + validationRows, trainRows + validationRows + heldOut));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the study's split to " + dir + ": " + IoErrors.describe(e), e);
        }
    }

    /** The file's rows cleaned and deduplicated, in the seed's order: the study draws its split from the front. */
    static List<Example> shuffled(Path data, long seed) {
        PrepareConfig cfg = new PrepareConfig();
        cfg.inputs = List.of(data);
        cfg.schema = Schema.CLASSIFICATION;
        cfg.split = SplitSpec.parse("1/0/0");
        cfg.checkLeakage = false;
        List<Example> all = new ArrayList<>(DataPipeline.run(cfg).kept);
        Collections.shuffle(all, new java.util.Random(new SplittableRandom(seed).nextLong()));
        return all;
    }

    private static void write(Path f, List<Example> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Example e : rows) sb.append(Json.line(Map.of("text", e.texts[0], "label", e.label))).append('\n');
        Files.writeString(f, sb);
    }

    private static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
    }

    /**
     * The process's peak resident memory (Linux VmHWM), NaN elsewhere. It covers the whole process,
     * so an arm's own figure needs a process of its own (bench/study.sh runs one per arm).
     */
    public static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return Double.NaN;
    }

    /** Peak heap in use during the arm, garbage included (the collector lets it grow towards -Xmx). */
    private static double peakHeapMb() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getUsed();
        return sum / 1e6;
    }
}
