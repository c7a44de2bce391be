package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.Example;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.report.Json;
import dev.tune4j.train.CheckpointDir;
import dev.tune4j.train.TrainCheckpoint;
import dev.tune4j.train.Trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A run's checkpoints as a recipe sees them. They go to {@code checkpoints/} in the run folder, each
 * with a fingerprint of what the run was started with: the resolved recipe (less the knobs that
 * cannot change the result, and less the model and data paths, which are compared by content),
 * the base model's files (size and a sampled SHA-256 each) and the data (a SHA-256 of each split's
 * rows as the run read them); plus how long metrics.jsonl was. Resuming takes the newest sound
 * checkpoint, refuses it when the fingerprint differs (naming what changed) unless forced, warns
 * when the thread count differs, and cuts metrics.jsonl back to the checkpoint.
 */
final class RunCheckpoints {
    static final String DIR = "checkpoints";
    /** Recipe keys that cannot change the trained weights, or are compared by content instead. */
    private static final Set<String> NOT_COMPARED = Set.of("output", "log.every", "checkpoint.every", "checkpoint.keep",
            "model", "data.train", "data.validation", "data.test");
    /** Files up to this size are hashed whole; larger ones by windows spread over them. */
    private static final long WHOLE = 64L << 20, WINDOW = 1L << 20;
    private static final int WINDOWS = 16;

    private final RecipeLoader.Resolved resolved;
    private final RunFolder folder;
    private final CheckpointDir dir;
    private final ObjectNode fingerprint;
    private final FineTune.Options opts;

    private RunCheckpoints(RecipeLoader.Resolved resolved, RunFolder folder, CheckpointDir dir, ObjectNode fingerprint, FineTune.Options opts) {
        this.resolved = resolved;
        this.folder = folder;
        this.dir = dir;
        this.fingerprint = fingerprint;
        this.opts = opts;
    }

    static RunCheckpoints of(RecipeLoader.Resolved resolved, RunFolder folder, PretrainedModel base, RunData data, FineTune.Options opts) {
        ObjectNode f = Json.MAPPER.createObjectNode();
        f.set("recipe", Json.MAPPER.valueToTree(recipeKeys(resolved.tree())));
        f.set("model", Json.MAPPER.valueToTree(model(base)));
        f.set("data", Json.MAPPER.valueToTree(Map.of("train", rows(data.train()), "validation", rows(data.validation()), "test", rows(data.test()))));
        return new RunCheckpoints(resolved, folder, new CheckpointDir(folder.resolve(DIR), resolved.recipe().checkpoint().keep()), f, opts);
    }

    /**
     * Saves into the run folder and stops on the run's stop request; when resuming, first loads
     * the newest sound checkpoint into the trainer. Call after evaluating the untrained model.
     *
     * @return whether the trainer continues from a checkpoint
     */
    <B> boolean attach(Trainer<B> trainer) {
        trainer.saveWith(this::save).stopOn(opts.stop());
        if (!opts.resume()) return false;
        CheckpointDir.Loaded loaded = dir.newest(opts::warn).orElseThrow(() -> new IllegalArgumentException(
                "no checkpoint to resume from in " + dir.dir() + " (a run saves one every checkpoint.every updates, when it ends and when it is stopped);"
                        + " start the run again without --resume"));
        TrainCheckpoint c = loaded.checkpoint();
        List<String> changes = changes(c.fingerprint());
        if (!changes.isEmpty()) {
            String what = "since " + loaded.dir().getFileName() + " was saved, " + String.join("; ", changes);
            if (!opts.force()) throw new IllegalArgumentException("cannot resume " + folder.dir() + ": " + what + ". Pass --force to resume anyway"
                    + " (the result then matches no uninterrupted run)");
            opts.warn("resuming with --force: " + what + "; the result matches no uninterrupted run");
        }
        if (c.threads() != Parallel.threads()) {
            opts.warn(loaded.dir().getFileName() + " was computed with " + c.threads() + " threads and this run has " + Parallel.threads()
                    + " (-Dtune4j.threads): the result will differ from an uninterrupted run in the last bits");
        }
        trainer.resume(c);
        folder.truncateMetrics(c.fingerprint().path("metrics_bytes").asLong(Long.MAX_VALUE));
        folder.writeText(RunFolder.CONFIG, resolved.yaml());
        opts.progress().message("resuming " + folder.dir() + " from " + loaded.dir().getFileName() + " (update " + c.state().step + ")");
        return true;
    }

    private Path save(TrainCheckpoint c) {
        ObjectNode f = fingerprint.deepCopy();
        f.put("metrics_bytes", folder.metricsBytes());
        return dir.save(c.withFingerprint(f));
    }

    /** What differs between the checkpoint's fingerprint and this run's, one phrase per part. */
    List<String> changes(JsonNode saved) {
        List<String> out = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        Set<String> names = new TreeSet<>();
        saved.path("recipe").fieldNames().forEachRemaining(names::add);
        fingerprint.path("recipe").fieldNames().forEachRemaining(names::add);
        for (String k : names) {
            JsonNode was = saved.path("recipe").get(k), now = fingerprint.path("recipe").get(k);
            if (was == null || now == null || !was.equals(now)) keys.add(k + " " + text(was) + " -> " + text(now));
        }
        if (!keys.isEmpty()) out.add("the recipe changed (" + String.join(", ", keys) + ")");
        List<String> files = differing(saved.path("model"), fingerprint.path("model"));
        if (!files.isEmpty()) out.add("the base model changed (" + String.join(", ", files) + ")");
        List<String> splits = differing(saved.path("data"), fingerprint.path("data"));
        if (!splits.isEmpty()) out.add("the data changed (the " + String.join(", ", splits) + " rows)");
        return out;
    }

    private static List<String> differing(JsonNode was, JsonNode now) {
        Set<String> names = new TreeSet<>();
        was.fieldNames().forEachRemaining(names::add);
        now.fieldNames().forEachRemaining(names::add);
        return names.stream().filter(n -> !was.path(n).equals(now.path(n))).toList();
    }

    private static String text(JsonNode v) {
        return v == null ? "(absent)" : v.asText();
    }

    /** Every leaf of the resolved recipe by dotted key, as JSON text, less the keys not compared. */
    private static Map<String, String> recipeKeys(JsonNode tree) {
        Map<String, String> out = new TreeMap<>();
        flatten(tree, "", out);
        NOT_COMPARED.forEach(out::remove);
        return out;
    }

    private static void flatten(JsonNode n, String prefix, Map<String, String> out) {
        if (n.isObject()) {
            n.properties().forEach(e -> flatten(e.getValue(), prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), out));
        } else {
            out.put(prefix, n.isTextual() ? n.asText() : n.toString());
        }
    }

    /** Each file the model was read from, by name: its size and a sampled SHA-256; a built-in model by name and tokenizer. */
    private static Map<String, String> model(PretrainedModel base) {
        Map<String, String> out = new TreeMap<>();
        for (Path p : base.sourceFiles()) out.put(p.getFileName().toString(), fileHash(p));
        if (out.isEmpty()) {
            out.put("builtin", base.spec());
            MessageDigest md = sha256();
            new TreeMap<>(base.tokenizerFiles()).forEach((name, bytes) -> {
                md.update(name.getBytes(StandardCharsets.UTF_8));
                md.update(bytes);
            });
            out.put("tokenizer", HexFormat.of().formatHex(md.digest()));
        }
        return out;
    }

    /**
     * "size:sha256", the hash over the whole file up to 64 MiB, else over 16 windows of 1 MiB spread
     * evenly from its start to its end: seconds for a model of many gigabytes, and any edit of a
     * header, a resave or a truncation shows.
     */
    static String fileHash(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MessageDigest md = sha256();
            ByteBuffer buf = ByteBuffer.allocate((int) WINDOW);
            if (size <= WHOLE) {
                read(ch, 0, size, buf, md);
            } else {
                for (int w = 0; w < WINDOWS; w++) read(ch, (size - WINDOW) / (WINDOWS - 1) * w, WINDOW, buf, md);
            }
            return size + ":" + HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model file " + file + ": " + dev.tune4j.io.IoErrors.describe(e), e);
        }
    }

    private static void read(FileChannel ch, long from, long length, ByteBuffer buf, MessageDigest md) throws IOException {
        for (long pos = from, end = from + length; pos < end; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException("the file shrank while it was read");
            md.update(buf.flip());
            pos += n;
        }
    }

    /** SHA-256 of a split's rows as the run read them: texts and labels, in order. */
    private static String rows(List<Example> rows) {
        MessageDigest md = sha256();
        ByteBuffer len = ByteBuffer.allocate(4);
        for (Example e : rows) {
            for (String t : e.texts) field(md, len, t);
            field(md, len, e.label);
        }
        return rows.size() + ":" + HexFormat.of().formatHex(md.digest());
    }

    /** Length-prefixed, so that no two different rows hash alike by shifting text between fields. */
    private static void field(MessageDigest md, ByteBuffer len, String s) {
        byte[] b = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
        md.update(len.clear().putInt(s == null ? -1 : b.length).flip());
        md.update(b);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }
}
