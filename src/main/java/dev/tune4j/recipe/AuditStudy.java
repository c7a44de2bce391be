package dev.tune4j.recipe;

import dev.tune4j.audit.AuditOutput;
import dev.tune4j.data.Example;
import dev.tune4j.io.IoErrors;
import dev.tune4j.report.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * "A few hundred clean beat thousands noisy?": the label-noise study. The fine-tuning study's rows
 * in its order ({@link Study#shuffled}), its validation and held-out rows unchanged (positions
 * [studyTrain, studyTrain + validation) and the next {@code heldOut}); the training pool is every
 * other row, front first. Of its first {@code train} rows a seeded {@code noise} share get another
 * label, then LoRA trains on
 * <ul>
 * <li>{@code noisy}: the {@code train} rows with the flipped labels,</li>
 * <li>{@code small}: the first {@code small} of them with their true labels, for train/small times
 *     the epochs (as many updates, up to the rounding of partial batches),</li>
 * <li>{@code audited}: the noisy rows after {@code data.audit: drop} removed what the label audit
 *     flagged (its precision and recall at finding the flips are reported),</li>
 * <li>{@code clean}: the {@code train} rows with their true labels (the ceiling),</li>
 * </ul>
 * each scored once on the held-out rows. Rows carry their source line as {@code id}.
 */
public final class AuditStudy {
    private AuditStudy() {}

    public static final List<String> ARMS = List.of("noisy", "small", "audited", "clean");

    /** Sizes of the draw; the fine-tuning study's are 400 / 100 / 1000. */
    public record Draw(int train, int small, double noise, int studyTrain, int validation, int heldOut) {}

    public static List<Map<String, Object>> run(String model, Path data, Draw d, int maxLength, int epochs, List<String> arms, Path out, long seed,
                                                Consumer<Map<String, Object>> onResult) {
        for (String arm : arms) if (!ARMS.contains(arm)) throw new IllegalArgumentException("unknown arm '" + arm + "' (expected " + String.join(", ", ARMS) + ")");
        if (d.small() < 1 || d.small() > d.train()) throw new IllegalArgumentException("--small must be in [1, --train], got " + d.small());
        if (!(d.noise() >= 0 && d.noise() < 1)) throw new IllegalArgumentException("--noise must be in [0, 1), got " + d.noise());
        Path split = out.resolve("split");
        Set<String> flips = drawSplit(data, d, split, seed);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String arm : arms) {
            RecipeLoader.Builder b = Recipe.builder()
                    .set("model", model).set("task", "classification").set("method", "lora").set("optimizer.lr", 1e-3)
                    .set("data.train", split.resolve(arm.equals("small") ? "small.jsonl" : arm.equals("clean") ? "clean.jsonl" : "noisy.jsonl").toString())
                    .set("data.validation", split.resolve("validation.jsonl").toString())
                    .set("data.test", split.resolve("heldout.jsonl").toString())
                    .set("data.prepare", false).set("data.max_length", maxLength)
                    .set("train.epochs", arm.equals("small") ? epochs * Math.max(1, Math.round((float) d.train() / d.small())) : epochs)
                    .set("train.batch_size", 16).set("train.seed", seed)
                    .set("schedule.name", "linear").set("schedule.warmup_steps", 10)
                    .set("eval.every", 0).set("eval.batch_size", 32)
                    .set("output", out.resolve(arm).toString());
            if (arm.equals("audited")) b.set("data.audit", "drop");
            long t0 = System.nanoTime();
            try (FineTune.Run r = FineTune.run(b.build(), FineTune.Options.quiet().withOverwrite(true))) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("arm", arm);
                row.put("train_rows", ((Map<?, ?>) r.results().get("rows")).get("train"));
                row.put("steps", r.results().get("steps"));
                Map<?, ?> test = (Map<?, ?>) r.results().get("test");
                row.put("accuracy", test.get("accuracy"));
                row.put("macro_f1", test.get("macro_f1"));
                row.put("held_out", test.get("examples"));
                if (arm.equals("audited")) row.putAll(found(r.dir().resolve("audit").resolve(AuditOutput.LABEL_ISSUES), flips));
                row.put("wall_s", (System.nanoTime() - t0) / 1e9);
                rows.add(row);
                onResult.accept(row);
            }
        }
        return rows;
    }

    /** The audit's flags against the planted flips: how many, and its precision and recall. */
    static Map<String, Object> found(Path issues, Set<String> flips) {
        Set<String> flagged = new HashSet<>();
        try {
            for (String line : Files.readAllLines(issues)) if (!line.isBlank()) flagged.add(Json.MAPPER.readTree(line).get("id").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + issues + ": " + IoErrors.describe(e), e);
        }
        long hits = flips.stream().filter(flagged::contains).count();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("flips", flips.size());
        m.put("flagged", flagged.size());
        m.put("flips_flagged", hits);
        m.put("precision", flagged.isEmpty() ? 0.0 : (double) hits / flagged.size());
        m.put("recall", flips.isEmpty() ? 0.0 : (double) hits / flips.size());
        return m;
    }

    /** Writes noisy / clean / small training files, validation and held-out rows; returns the ids of the flipped rows. */
    private static Set<String> drawSplit(Path data, Draw d, Path dir, long seed) {
        List<Example> all = Study.shuffled(data, seed);
        int fixed = d.studyTrain() + d.validation() + d.heldOut();
        if (all.size() < fixed + d.train() - d.studyTrain()) {
            throw new IllegalArgumentException(data + ": " + all.size() + " rows after cleaning, fewer than the " + (fixed + d.train() - d.studyTrain())
                    + " the draw needs (" + d.train() + " training rows beside " + d.validation() + " validation and " + d.heldOut() + " held-out)");
        }
        List<Example> pool = new ArrayList<>(all.subList(0, d.studyTrain()));
        pool.addAll(all.subList(fixed, all.size()));
        List<Example> train = pool.subList(0, d.train());
        List<String> labels = new ArrayList<>(new TreeSet<>(train.stream().map(e -> e.label).toList()));
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5EEDF11BL);
        int[] order = new int[train.size()];     // a seeded permutation: its first noise·n rows are flipped
        for (int i = 0; i < order.length; i++) order[i] = i;
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int flipCount = (int) Math.round(d.noise() * train.size());
        String[] noisy = new String[train.size()];
        for (int i = 0; i < noisy.length; i++) noisy[i] = train.get(i).label;
        Set<String> flips = new HashSet<>();
        for (int k = 0; k < flipCount; k++) {
            int i = order[k];
            List<String> others = new ArrayList<>(labels);
            others.remove(noisy[i]);
            noisy[i] = others.get(rng.nextInt(others.size()));
            flips.add(String.valueOf(train.get(i).origin.line()));
        }
        try {
            Files.createDirectories(dir);
            write(dir.resolve("clean.jsonl"), train, null);
            write(dir.resolve("noisy.jsonl"), train, noisy);
            write(dir.resolve("small.jsonl"), train.subList(0, d.small()), null);
            write(dir.resolve("validation.jsonl"), all.subList(d.studyTrain(), d.studyTrain() + d.validation()), null);
            write(dir.resolve("heldout.jsonl"), all.subList(d.studyTrain() + d.validation(), fixed), null);
            Files.writeString(dir.resolve("flips.json"), Json.pretty(new TreeSet<>(flips)) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the study's split to " + dir + ": " + IoErrors.describe(e), e);
        }
        return flips;
    }

    /** Rows as {id (source line), text, label}; {@code labels} null: their own. */
    private static void write(Path f, List<Example> rows, String[] labels) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            Example e = rows.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", String.valueOf(e.origin.line()));
            m.put("text", e.texts[0]);
            m.put("label", labels == null ? e.label : labels[i]);
            sb.append(Json.line(m)).append('\n');
        }
        Files.writeString(f, sb);
    }
}
