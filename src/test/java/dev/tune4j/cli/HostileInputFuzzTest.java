package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over a thousand generated bad inputs, from one fixed seed, through every command as a user runs it
 * ({@link Main#execute} in this JVM): corrupt safetensors headers and bodies, broken config.json and
 * tokenizer.json, malformed recipes, malformed data rows for {@code data prepare}, {@code eval} and
 * {@code predict}, and bad numeric options. Every case must end in one clear line: exit status other
 * than 0, a single {@code tune4j: ...} line on stderr, no stack trace or exception class, within its
 * time limit, and nothing written where a result would be (the output left absent or unchanged).
 * Input that is legitimately usable (a file with one bad row among good ones) must succeed instead,
 * and some mutations can land either way (a flipped byte inside a label name): those must end in
 * one of the two. The counts per category are printed for the record.
 */
class HostileInputFuzzTest {
    private static final long SEED = 20261206L;
    private static final long CASE_TIMEOUT_S = 20;
    private static final Pattern CLASS_NAME = Pattern.compile("\\b[A-Z][A-Za-z]*(Exception|Error)\\b|\\bjava\\.[a-z]+\\.");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    static Path root;
    /** The tiny classifier folder every model case starts from, and its files as bytes. */
    static Path model;
    static byte[] weights, config, tokenizer;

    enum Expect { ERROR, OK, EITHER }

    /**
     * One generated input: the command line to run, what it must end in, and the path where its
     * result would be written (checked absent or unchanged after an error), or null.
     */
    record Case(String category, String what, Expect expect, Path output, List<String> args) {}

    @BeforeAll
    static void tinyModel() throws Exception {
        model = TinyClassifierFolder.write(root.resolve("model"));
        weights = Files.readAllBytes(model.resolve("model.safetensors"));
        config = Files.readAllBytes(model.resolve("config.json"));
        tokenizer = Files.readAllBytes(model.resolve("tokenizer.json"));
    }

    @Test
    void everyHostileInputEndsInOneClearLineAndWritesNothing() throws Exception {
        SplittableRandom rng = new SplittableRandom(SEED);
        List<Case> cases = new ArrayList<>();
        cases.addAll(safetensors(rng.split()));
        cases.addAll(configs(rng.split()));
        cases.addAll(tokenizers(rng.split()));
        cases.addAll(recipes(rng.split()));
        cases.addAll(dataPrepare(rng.split()));
        cases.addAll(evalAndPredict(rng.split()));
        cases.addAll(numericOptions());

        Map<String, int[]> counts = new LinkedHashMap<>();   // category -> {cases, clear errors, accepted}
        List<String> failures = new ArrayList<>();
        ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hostile-input-case");
            t.setDaemon(true);   // a case that hangs must not keep the test JVM alive
            return t;
        });
        long t0 = System.nanoTime();
        try {
            for (Case c : cases) {
                int[] n = counts.computeIfAbsent(c.category(), k -> new int[3]);
                n[0]++;
                String failure = check(c, runner, n);
                if (failure != null) failures.add(c.category() + " / " + c.what() + " " + c.args() + ": " + failure);
                if (failure != null && failure.startsWith("hung")) {
                    runner.shutdownNow();   // the hung case keeps its thread; the next ones get a fresh one
                    runner = Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "hostile-input-case");
                        t.setDaemon(true);
                        return t;
                    });
                }
            }
        } finally {
            runner.shutdownNow();
        }
        System.out.printf("HOSTILE INPUT: %d cases in %.1f s%n", cases.size(), (System.nanoTime() - t0) / 1e9);
        System.out.printf("  %-14s %6s %13s %9s%n", "category", "cases", "clear errors", "accepted");
        int[] total = new int[3];
        counts.forEach((k, n) -> {
            System.out.printf("  %-14s %6d %13d %9d%n", k, n[0], n[1], n[2]);
            for (int i = 0; i < 3; i++) total[i] += n[i];
        });
        System.out.printf("  %-14s %6d %13d %9d%n", "total", total[0], total[1], total[2]);
        failures.stream().limit(40).forEach(f -> System.out.println("  FAILED " + f));
        assertTrue(cases.size() >= 1000, "at least 1000 cases, got " + cases.size());
        assertTrue(failures.isEmpty(), () -> failures.size() + " of " + cases.size() + " cases did not end cleanly; the first: " + failures.getFirst());
    }

    /** Runs one case and checks what it must end in; returns why it failed, or null. Counts clear errors and accepted inputs. */
    private static String check(Case c, ExecutorService runner, int[] n) throws Exception {
        Snapshot before = Snapshot.of(c.output());

        Future<ModelCommandsTest.Run> f = runner.submit(() -> ModelCommandsTest.run(c.args().toArray(new String[0])));
        ModelCommandsTest.Run r;
        try {
            r = f.get(CASE_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return "hung: no result within " + CASE_TIMEOUT_S + " s";
        }
        String err = r.err();
        // -Dtune4j.fuzz.trace=1 prints every case with what it ended in, to read the messages
        if (System.getProperty("tune4j.fuzz.trace") != null) System.out.println("CASE " + c.category() + " / " + c.what() + " => " + r.code() + " " + abbreviate(err));
        if (err.contains("\tat ") || err.contains("Exception") || CLASS_NAME.matcher(err).find()) return "stack trace or class name on stderr: " + err;
        if (err.contains("internal error")) return "an internal error: " + err;
        if (r.code() == 0) {
            if (c.expect() == Expect.ERROR) return "accepted (exit 0); stdout: " + abbreviate(r.out()) + " stderr: " + abbreviate(err);
            n[2]++;
            return null;
        }
        List<String> lines = err.lines().filter(l -> !l.startsWith("tune4j: warning: ")).toList();
        if (lines.size() != 1 || !lines.getFirst().startsWith("tune4j: ") || lines.getFirst().length() < "tune4j: ".length() + 8) {
            return "exit " + r.code() + " without one clear line: " + abbreviate(err);
        }
        if (c.expect() == Expect.OK) return "refused usable input: " + lines.getFirst();
        if (!r.out().isBlank()) return "printed results before failing: " + abbreviate(r.out());
        if (!before.equals(Snapshot.of(c.output()))) return "wrote where the result would be: " + c.output();
        n[1]++;
        return null;
    }

    private static String abbreviate(String s) {
        String one = s.strip().replace('\n', '|');
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }

    /** What is at an output path: nothing, a file's bytes, or a folder's listing (names and sizes). */
    private record Snapshot(String state) {
        static Snapshot of(Path p) throws Exception {
            if (p == null || !Files.exists(p)) return new Snapshot("absent");
            if (Files.isRegularFile(p)) return new Snapshot("file " + Arrays.hashCode(Files.readAllBytes(p)));
            try (Stream<Path> s = Files.walk(p)) {
                return new Snapshot(s.map(x -> p.relativize(x) + ":" + (Files.isRegularFile(x) ? x.toFile().length() : -1)).sorted().toList().toString());
            }
        }
    }

    // ---- cases ----------------------------------------------------------------------------------

    private static int counter;

    /** A fresh folder for one case's files. */
    private static Path caseDir(String category) throws Exception {
        return Files.createDirectories(root.resolve(category + "-" + (counter++)));
    }

    /** The tiny model folder with one file replaced (null bytes: the file removed). */
    private static Path modelWith(String category, String file, byte[] bytes) throws Exception {
        Path dir = caseDir(category);
        for (String f : List.of("model.safetensors", "config.json", "tokenizer.json")) {
            if (!f.equals(file)) Files.copy(model.resolve(f), dir.resolve(f));
        }
        if (bytes != null) Files.write(dir.resolve(file), bytes);
        return dir;
    }

    /** The model commands a corrupt model case rotates through: inspect, export, embed, predict. */
    private static Case modelCase(String category, String what, Expect expect, Path m, int i) {
        return switch (i % 4) {
            case 0 -> new Case(category, what + " (inspect)", expect, null, List.of("inspect", m.toString()));
            case 1 -> new Case(category, what + " (export)", expect, m.resolveSibling(m.getFileName() + "-export"),
                    List.of("export", "--model", m.toString(), "--out", m.resolveSibling(m.getFileName() + "-export").toString()));
            case 2 -> new Case(category, what + " (embed)", expect, null, List.of("embed", "--model", m.toString(), "--text", "good movie", "bad song"));
            default -> new Case(category, what + " (predict)", expect, null, List.of("predict", "--model", m.toString(), "--text", "the plot was great"));
        };
    }

    // -- safetensors

    /** The tiny checkpoint as its three parts: header length, header JSON, data buffer. */
    private record Safetensors(ObjectNode header, byte[] data) {
        static Safetensors parse(byte[] file) throws Exception {
            long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            ObjectNode h = (ObjectNode) Json.MAPPER.readTree(Arrays.copyOfRange(file, 8, 8 + (int) n));
            return new Safetensors(h, Arrays.copyOfRange(file, 8 + (int) n, file.length));
        }

        byte[] bytes(byte[] headerJson, long declaredLength) {
            ByteBuffer b = ByteBuffer.allocate(8 + headerJson.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(declaredLength).put(headerJson).put(data);
            return b.array();
        }

        byte[] bytes() {
            byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
            return bytes(json, json.length);
        }

        /** The tensors the model loads (every one but the position_ids buffer BERT checkpoints carry). */
        List<String> loaded() {
            List<String> names = new ArrayList<>();
            header.fieldNames().forEachRemaining(k -> { if (!k.equals("__metadata__") && !k.endsWith("position_ids")) names.add(k); });
            return names;
        }
    }

    private static List<Case> safetensors(SplittableRandom rng) throws Exception {
        String cat = "safetensors";
        List<Case> out = new ArrayList<>();
        Safetensors st = Safetensors.parse(weights);
        int headerEnd = weights.length - st.data().length;
        int i = 0;
        for (int k = 0; k < 60; k++, i++) {                     // truncated anywhere
            int len = rng.nextInt(weights.length);
            out.add(modelCase(cat, "truncated to " + len + " bytes", Expect.ERROR, modelWith(cat, "model.safetensors", Arrays.copyOf(weights, len)), i));
        }
        for (int k = 0; k < 10; k++, i++) {                     // trailing bytes
            byte[] b = Arrays.copyOf(weights, weights.length + 1 + rng.nextInt(64));
            out.add(modelCase(cat, "extra bytes at the end", Expect.ERROR, modelWith(cat, "model.safetensors", b), i));
        }
        for (int k = 0; k < 60; k++, i++) {                     // a flipped bit in the length prefix or the JSON header
            byte[] b = weights.clone();
            int at = rng.nextInt(headerEnd);
            b[at] ^= (byte) (1 << rng.nextInt(8));
            // inside a name or the padding a flip can leave a valid file (an ignorable tensor renamed): either outcome
            out.add(modelCase(cat, "bit flipped at header byte " + at, at < 8 ? Expect.ERROR : Expect.EITHER, modelWith(cat, "model.safetensors", b), i));
        }
        List<String> loaded = st.loaded();
        for (int k = 0; k < 40; k++, i++) {                     // NaN or infinity in a loaded weight: refused on load (inspect reads headers only)
            String name = loaded.get(rng.nextInt(loaded.size()));
            JsonNode e = st.header().get(name);
            long begin = e.get("data_offsets").get(0).asLong(), end = e.get("data_offsets").get(1).asLong();
            byte[] b = weights.clone();
            int at = headerEnd + (int) (begin + 4 * rng.nextLong((end - begin) / 4));
            float bad = new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[k % 3];
            ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(bad);
            out.add(modelCase(cat, bad + " in " + name, i % 4 == 0 ? Expect.OK : Expect.ERROR, modelWith(cat, "model.safetensors", b), i));
        }
        for (int k = 0; k < 30; k++, i++) {                     // a flipped bit in the data: refused exactly when it makes a loaded weight non-finite
            byte[] b = weights.clone();
            int at = headerEnd + rng.nextInt(st.data().length);
            b[at] ^= (byte) (1 << rng.nextInt(8));
            int aligned = at - (at - headerEnd) % 4;
            boolean finite = Float.isFinite(ByteBuffer.wrap(b, aligned, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
            boolean inLoaded = loaded.stream().anyMatch(name -> {
                JsonNode o = st.header().get(name).get("data_offsets");
                return at - headerEnd >= o.get(0).asLong() && at - headerEnd < o.get(1).asLong();
            });
            Expect expect = finite || !inLoaded || i % 4 == 0 ? Expect.OK : Expect.ERROR;
            out.add(modelCase(cat, "bit flipped at data byte " + (at - headerEnd), expect, modelWith(cat, "model.safetensors", b), i));
        }
        for (int k = 0; k < 120; k++, i++) {                    // a header that lies
            Safetensors edited = Safetensors.parse(weights);
            String name = loaded.get(rng.nextInt(loaded.size()));
            ObjectNode e = (ObjectNode) edited.header().get(name);
            int[] shape = Json.MAPPER.convertValue(e.get("shape"), int[].class);
            long begin = e.get("data_offsets").get(0).asLong(), end = e.get("data_offsets").get(1).asLong();
            JsonNodeFactory j = JsonNodeFactory.instance;
            String what;
            byte[] bytes = null;
            switch (k % 15) {
                case 0 -> { String d = pick(rng, "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL", "F8_E4M3", "X", "f32", ""); e.put("dtype", d); what = "dtype " + d; }
                case 1 -> { e.put("dtype", 5); what = "dtype 5"; }
                case 2 -> { e.set("shape", j.arrayNode()); what = "shape []"; }
                case 3 -> { int[] s = shape.clone(); s[0] += 1 + rng.nextInt(3); e.set("shape", Json.MAPPER.valueToTree(s)); what = "shape " + Arrays.toString(s); }
                case 4 -> { e.set("shape", Json.MAPPER.valueToTree(new long[] {-1, shape[0]})); what = "negative dimension"; }
                case 5 -> { e.set("shape", Json.MAPPER.valueToTree(new long[] {1L << 31, 1L << 31})); what = "huge dimensions"; }
                case 6 -> {  // same byte count, another layout: only the config check can see it
                    long numel = Arrays.stream(shape).asLongStream().reduce(1, (a, b2) -> a * b2);
                    int[] s = shape.length == 1 ? new int[] {1, (int) numel} : new int[] {(int) numel};
                    e.set("shape", Json.MAPPER.valueToTree(s));
                    what = "shape " + Arrays.toString(shape) + " as " + Arrays.toString(s);
                }
                case 7 -> { e.set("data_offsets", Json.MAPPER.valueToTree(new long[] {begin + 4, end + 4})); what = "offsets shifted"; }
                case 8 -> { e.set("data_offsets", Json.MAPPER.valueToTree(new long[] {end, begin})); what = "offsets reversed"; }
                case 9 -> { e.set("data_offsets", Json.MAPPER.valueToTree(new Object[] {begin, "end"})); what = "offset not a number"; }
                case 10 -> { e.set("data_offsets", Json.MAPPER.valueToTree(new long[] {begin, Long.MAX_VALUE})); what = "offset past the file"; }
                case 11 -> { edited.header().remove(name); what = "entry removed"; }
                case 12 -> { edited.header().set(name + ".renamed", edited.header().remove(name)); what = "entry renamed"; }
                case 13 -> { edited.header().set("__metadata__", pick(rng, j.arrayNode(), j.objectNode().put("format", 5), j.textNode("pt"))); what = "bad __metadata__"; }
                default -> {  // a lying length prefix, or a header that is not an object of tensors
                    boolean lie = rng.nextBoolean();
                    byte[] json = (lie ? edited.header().toString() : pick(rng, "[]", "\"x\"", "null", "{\"a\": {}}", "{")).getBytes(StandardCharsets.UTF_8);
                    bytes = edited.bytes(json, lie ? pick(rng, 0L, json.length - 1L, json.length + 1L, -1L, 1L << 40, (long) weights.length) : json.length);
                    what = lie ? "a lying length prefix" : "header " + new String(json, StandardCharsets.UTF_8);
                }
            }
            if (bytes == null) bytes = edited.bytes();
            out.add(modelCase(cat, what + " (" + name + ")", Expect.ERROR, modelWith(cat, "model.safetensors", bytes), i));
        }
        out.add(modelCase(cat, "no weights file", Expect.ERROR, modelWith(cat, "model.safetensors", null), 1));
        Path dirInstead = modelWith(cat, "model.safetensors", null);
        Files.createDirectories(dirInstead.resolve("model.safetensors"));
        out.add(modelCase(cat, "a folder named model.safetensors", Expect.ERROR, dirInstead, 0));
        out.add(modelCase(cat, "empty weights file", Expect.ERROR, modelWith(cat, "model.safetensors", new byte[0]), 2));
        return out;
    }

    // -- config.json

    private static List<Case> configs(SplittableRandom rng) throws Exception {
        String cat = "config.json";
        List<Case> out = new ArrayList<>();
        ObjectNode base = (ObjectNode) Json.MAPPER.readTree(config);
        List<Object> badSizes = List.of(0, -1, -3, "abc", "16", 1.5, true, List.of(), Map.of(), 2147483648L, 1e30, "");
        int i = 0;
        for (String key : List.of("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "max_position_embeddings", "type_vocab_size")) {
            for (Object v : badSizes) {
                // 0 token types is a config without them (its tensor then goes unused): usable
                Expect expect = key.equals("type_vocab_size") && Integer.valueOf(0).equals(v) ? Expect.OK : Expect.ERROR;
                out.add(modelCase(cat, key + "=" + Json.line(v), expect, modelWith(cat, "config.json", with(base, key, v)), i++));
            }
        }
        // values of the right type that contradict the tensors
        Map<String, Object> contradictions = new LinkedHashMap<>();
        contradictions.put("vocab_size", base.get("vocab_size").asInt() + 1);
        contradictions.put("hidden_size", base.get("hidden_size").asInt() * 2);
        contradictions.put("intermediate_size", base.get("intermediate_size").asInt() + 1);
        contradictions.put("max_position_embeddings", base.get("max_position_embeddings").asInt() + 1);
        contradictions.put("type_vocab_size", base.get("type_vocab_size").asInt() + 1);
        contradictions.put("num_hidden_layers", base.get("num_hidden_layers").asInt() + 1);
        contradictions.put("num_attention_heads", 3);
        for (var e : contradictions.entrySet()) out.add(modelCase(cat, e.getKey() + " contradicts the tensors", Expect.ERROR, modelWith(cat, "config.json", with(base, e.getKey(), e.getValue())), i++));
        for (Object v : List.of("abc", -1, 0, true, List.of())) {
            out.add(modelCase(cat, "layer_norm_eps=" + v, Expect.ERROR, modelWith(cat, "config.json", with(base, "layer_norm_eps", v)), i++));
        }
        for (Object v : List.of(-0.5, 1.5, "abc")) out.add(modelCase(cat, "hidden_dropout_prob=" + v, Expect.ERROR, modelWith(cat, "config.json", with(base, "hidden_dropout_prob", v)), i++));
        for (Object v : List.of("relu", 5, "")) out.add(modelCase(cat, "hidden_act=" + v, Expect.ERROR, modelWith(cat, "config.json", with(base, "hidden_act", v)), i++));
        out.add(modelCase(cat, "position_embedding_type relative", Expect.ERROR, modelWith(cat, "config.json", with(base, "position_embedding_type", "relative_key")), i++));
        for (Object v : List.of(List.of("FooModel"), "BertModel", 5, List.of(5))) {
            ObjectNode c = base.deepCopy();
            c.set("architectures", Json.MAPPER.valueToTree(v));
            c.put("model_type", "foo");
            out.add(modelCase(cat, "architectures=" + Json.line(v) + ", model_type foo", Expect.ERROR, modelWith(cat, "config.json", bytes(c)), i++));
        }
        for (Object v : List.of(Map.of(), Map.of("0", "a"), Map.of("x", "a", "y", "b", "z", "c"), Map.of("0", "a", "1", "b", "5", "c"), "abc", List.of("a", "b", "c"))) {
            out.add(modelCase(cat, "id2label=" + Json.line(v), Expect.ERROR, modelWith(cat, "config.json", with(base, "id2label", v)), i++));
        }
        out.add(modelCase(cat, "num_labels contradicts id2label", Expect.ERROR, modelWith(cat, "config.json", with(base, "num_labels", 5)), i++));
        byte[] text = bytes(base);
        for (int k = 0; k < 25; k++) {
            int len = rng.nextInt(text.length);
            out.add(modelCase(cat, "truncated to " + len + " bytes", Expect.ERROR, modelWith(cat, "config.json", Arrays.copyOf(text, len)), i++));
        }
        for (int k = 0; k < 30; k++) {
            byte[] b = text.clone();
            int at = rng.nextInt(b.length);
            b[at] = (byte) pickChar(rng, '{', '}', '"', ',', ':', '0', '9', '-', 'x', ' ', '\0', (char) 0xFF);
            out.add(modelCase(cat, "byte " + at + " replaced", Expect.EITHER, modelWith(cat, "config.json", b), i++));
        }
        String eps = new String(text, StandardCharsets.UTF_8).replace("1.0E-12", "1e400");
        for (String whole : List.of("", "null", "[]", "5", "\"x\"", "{\"a\": 1} trailing", "[".repeat(100_000), eps)) {
            out.add(modelCase(cat, "whole file " + abbreviate(whole), Expect.ERROR, modelWith(cat, "config.json", whole.getBytes(StandardCharsets.UTF_8)), i++));
        }
        out.add(modelCase(cat, "random bytes", Expect.ERROR, modelWith(cat, "config.json", randomBytes(rng, 300)), i++));
        out.add(modelCase(cat, "no config.json", Expect.ERROR, modelWith(cat, "config.json", null), i++));
        Path dirInstead = modelWith(cat, "config.json", null);
        Files.createDirectories(dirInstead.resolve("config.json"));
        out.add(modelCase(cat, "a folder named config.json", Expect.ERROR, dirInstead, i++));
        return out;
    }

    private static byte[] with(ObjectNode base, String key, Object value) {
        ObjectNode c = base.deepCopy();
        c.set(key, Json.MAPPER.valueToTree(value));
        return bytes(c);
    }

    private static byte[] bytes(JsonNode n) {
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    // -- tokenizer.json

    private static List<Case> tokenizers(SplittableRandom rng) throws Exception {
        String cat = "tokenizer.json";
        List<Case> out = new ArrayList<>();
        ObjectNode base = (ObjectNode) Json.MAPPER.readTree(tokenizer);
        int i = 0;
        for (int k = 0; k < 25; k++) {
            int len = rng.nextInt(tokenizer.length);
            out.add(tokenizerCase(cat, "truncated to " + len + " bytes", Expect.ERROR, modelWith(cat, "tokenizer.json", Arrays.copyOf(tokenizer, len)), i++));
        }
        for (int k = 0; k < 25; k++) {
            byte[] b = tokenizer.clone();
            int at = rng.nextInt(b.length);
            b[at] = (byte) pickChar(rng, '{', '}', '"', ',', ':', '0', '9', '-', 'x', ' ', '[', ']');
            out.add(tokenizerCase(cat, "byte " + at + " replaced", Expect.EITHER, modelWith(cat, "tokenizer.json", b), i++));
        }
        List<Map.Entry<String, Object>> edits = List.of(
                Map.entry("model", "WordLevel"), Map.entry("model.type", "Bogus"), Map.entry("model.type", 5),
                Map.entry("model.vocab", List.of("a", "b")), Map.entry("model.vocab", "abc"), Map.entry("model.vocab", Map.of()),
                Map.entry("model.vocab.good", Integer.MAX_VALUE), Map.entry("model.vocab.good", -5), Map.entry("model.vocab.good", "five"),
                Map.entry("model.vocab.good", 1 << 30), Map.entry("model.unk_token", "[NOPE]"), Map.entry("model.unk_token", 5),
                Map.entry("added_tokens", "x"), Map.entry("added_tokens", List.of(Map.of("id", Integer.MAX_VALUE, "content", "[X]", "special", true))),
                Map.entry("added_tokens", List.of(Map.of("id", -1, "content", "[Y]"))),
                Map.entry("normalizer", Map.of("type", "Bogus")), Map.entry("pre_tokenizer", Map.of("type", "Bogus")), Map.entry("pre_tokenizer", 5),
                Map.entry("post_processor", Map.of("type", "TemplateProcessing")), Map.entry("post_processor", "x"),
                Map.entry("truncation", Map.of("max_length", -1)), Map.entry("truncation", Map.of("max_length", 0)),
                Map.entry("truncation", Map.of("max_length", "abc")), Map.entry("padding", "x"), Map.entry("decoder", Map.of("type", "Bogus")));
        for (var e : edits) {
            ObjectNode t = base.deepCopy();
            set(t, e.getKey(), e.getValue());
            out.add(tokenizerCase(cat, e.getKey() + "=" + abbreviate(Json.line(e.getValue())), Expect.ERROR, modelWith(cat, "tokenizer.json", bytes(t)), i++));
        }
        ObjectNode noModel = base.deepCopy();
        noModel.remove("model");
        out.add(tokenizerCase(cat, "no model section", Expect.ERROR, modelWith(cat, "tokenizer.json", bytes(noModel)), i++));
        for (String whole : List.of("", "null", "[]", "{}", "5")) {
            out.add(tokenizerCase(cat, "whole file " + whole, Expect.ERROR, modelWith(cat, "tokenizer.json", whole.getBytes(StandardCharsets.UTF_8)), i++));
        }
        out.add(tokenizerCase(cat, "random bytes", Expect.ERROR, modelWith(cat, "tokenizer.json", randomBytes(rng, 500)), i++));
        out.add(tokenizerCase(cat, "no tokenizer.json", Expect.ERROR, modelWith(cat, "tokenizer.json", null), i++));
        return out;
    }

    /** Tokenizer cases: embed and predict need it; inspect reads it too. */
    private static Case tokenizerCase(String category, String what, Expect expect, Path m, int i) {
        return switch (i % 3) {
            case 0 -> new Case(category, what + " (inspect)", what.equals("no tokenizer.json") ? Expect.OK : expect, null, List.of("inspect", m.toString()));
            case 1 -> new Case(category, what + " (embed)", expect, null, List.of("embed", "--model", m.toString(), "--text", "good movie", "bad song"));
            default -> new Case(category, what + " (predict)", expect, null, List.of("predict", "--model", m.toString(), "--text", "the plot was great"));
        };
    }

    /** Sets a dotted path in a JSON tree, creating objects on the way. */
    private static void set(ObjectNode tree, String path, Object value) {
        String[] parts = path.split("\\.");
        ObjectNode node = tree;
        for (int k = 0; k < parts.length - 1; k++) {
            JsonNode child = node.get(parts[k]);
            if (child == null || !child.isObject()) child = node.putObject(parts[k]);
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], Json.MAPPER.valueToTree(value));
    }

    // -- recipes

    private static List<Case> recipes(SplittableRandom rng) throws Exception {
        String cat = "recipe";
        List<Case> out = new ArrayList<>();
        Path data = root.resolve("recipe-rows.jsonl");
        StringBuilder rows = new StringBuilder();
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < 40; k++) rows.append(TinyClassifierFolder.row(r, k)).append('\n');
        Files.writeString(data, rows);
        ObjectNode valid = JsonNodeFactory.instance.objectNode();
        valid.put("model", model.toString());
        valid.putObject("data").put("train", data.toString()).put("max_length", 16);
        valid.put("method", "lora");
        valid.putObject("train").put("epochs", 1).put("batch_size", 4);
        valid.put("output", root.resolve("never-written").toString());
        Path validFile = Files.write(caseDir(cat).resolve("valid.yaml"), recipe(valid));
        ModelCommandsTest.Run resolved = ModelCommandsTest.run("train", validFile.toString(), "--dry-run");
        assertTrue(resolved.code() == 0, "the valid recipe resolves: " + resolved.err());

        ObjectNode defaults;
        try (var in = HostileInputFuzzTest.class.getClassLoader().getResourceAsStream("dev/tune4j/recipe/defaults.yaml")) {
            defaults = (ObjectNode) YAML.readTree(in);
        }
        // every knob given values of the wrong type or out of range
        for (Iterator<Map.Entry<String, JsonNode>> it = leaves(defaults, ""); it.hasNext(); ) {
            var leaf = it.next();
            for (Object bad : badValues(leaf.getKey(), leaf.getValue())) {
                ObjectNode t = valid.deepCopy();
                set(t, leaf.getKey(), bad);
                // the seed takes any whole number; alpha any positive one
                boolean usable = leaf.getKey().equals("train.seed") && (bad instanceof Integer || bad instanceof Long)
                        || leaf.getKey().equals("lora.alpha") && bad instanceof Long;
                Expect expect = usable ? Expect.OK : Expect.ERROR;
                out.add(dryRun(cat, leaf.getKey() + "=" + abbreviate(Json.line(bad)), expect, recipe(t)));
            }
        }
        for (String section : List.of("data", "partial", "lora", "classification", "optimizer", "schedule", "train", "eval", "log")) {
            for (Object bad : List.of(5, List.of(1), "x")) {
                ObjectNode t = valid.deepCopy();
                t.set(section, Json.MAPPER.valueToTree(bad));
                out.add(dryRun(cat, section + "=" + Json.line(bad), Expect.ERROR, recipe(t)));
            }
        }
        for (String unknown : List.of("modle", "trian.epochs", "train.epoch", "lora.rank", "optimizer.learning_rate", "data.text", "evaluation.every", "x.y.z", "output_dir", "train.epochs.value")) {
            ObjectNode t = valid.deepCopy();
            set(t, unknown, 1);
            out.add(dryRun(cat, "unknown key " + unknown, Expect.ERROR, recipe(t)));
        }
        String text = new String(recipe(valid), StandardCharsets.UTF_8);
        for (String broken : List.of("- a\n- b\n", "42\n", "'x'\n", "null\n", "", "{model: x", "\tmodel: x\n", "model: 'x\n", "data: [1, 2\n", ":::\n",
                "a: " + "[".repeat(10_000), "a: &a [*a]\n", text.replace("  ", "\t"), text + "\nmodel: [unclosed\n", "model: x\n  output: y\n")) {
            out.add(dryRun(cat, "syntax: " + abbreviate(broken), Expect.ERROR, broken.getBytes(StandardCharsets.UTF_8)));
        }
        for (int k = 0; k < 20; k++) {
            int len = rng.nextInt(text.length());
            out.add(dryRun(cat, "truncated to " + len + " chars", Expect.EITHER, text.substring(0, len).getBytes(StandardCharsets.UTF_8)));
        }
        for (int k = 0; k < 5; k++) out.add(dryRun(cat, "random bytes", Expect.EITHER, randomBytes(rng, 200)));
        for (String set : List.of("noequals", "=5", "train.epochs=", "train.epochs=[", "train..epochs=1", "a.b.c.d=1", "train.epochs=1=2", "train.epochs=abc",
                "train.batch_size=0", "optimizer.lr=.nan", "train.epochs=99999999999", "data.max_length=1e9")) {
            out.add(new Case(cat, "--set " + set, Expect.ERROR, null, List.of("train", validFile.toString(), "--dry-run", "--set", set)));
        }
        out.add(new Case(cat, "no recipe file", Expect.ERROR, null, List.of("train", root.resolve("absent.yaml").toString(), "--dry-run")));
        out.add(new Case(cat, "a folder as recipe", Expect.ERROR, null, List.of("train", root.toString(), "--dry-run")));
        out.addAll(trainOnBadData(rng, valid));
        return out;
    }

    /** Real `train` runs whose data is unusable: they must fail before training and leave no run folder. */
    private static List<Case> trainOnBadData(SplittableRandom rng, ObjectNode valid) throws Exception {
        String cat = "train";
        List<Case> out = new ArrayList<>();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("empty.jsonl", new byte[0]);
        files.put("random.jsonl", randomBytes(rng, 2000));
        files.put("broken.jsonl", "{\"text\": \"good movie\", \n{not json}\n[1, 2]\n".getBytes(StandardCharsets.UTF_8));
        files.put("nolabel.jsonl", "{\"text\": \"good movie\"}\n{\"text\": \"bad song\"}\n".getBytes(StandardCharsets.UTF_8));
        files.put("nolabel.csv", "text,score\ngood movie,1\nbad song,2\n".getBytes(StandardCharsets.UTF_8));
        files.put("onerow.jsonl", "{\"text\": \"good movie\", \"label\": \"positive\"}\n".getBytes(StandardCharsets.UTF_8));
        files.put("nested.jsonl", "{\"text\": {\"a\": 1}, \"label\": \"positive\"}\n{\"text\": [1], \"label\": \"negative\"}\n".getBytes(StandardCharsets.UTF_8));
        files.put("fake.parquet", "not parquet at all".getBytes(StandardCharsets.UTF_8));
        for (var f : files.entrySet()) {
            Path dir = caseDir(cat);
            Path data = Files.write(dir.resolve(f.getKey()), f.getValue());
            ObjectNode t = valid.deepCopy();
            ((ObjectNode) t.get("data")).put("train", data.toString());
            t.put("output", dir.resolve("run").toString());
            Path r = Files.write(dir.resolve("recipe.yaml"), recipe(t));
            out.add(new Case(cat, "data " + f.getKey(), Expect.ERROR, dir.resolve("run"), List.of("train", r.toString(), "--json")));
        }
        Path dir = caseDir(cat);
        ObjectNode t = valid.deepCopy();
        ((ObjectNode) t.get("data")).put("train", dir.resolve("absent.jsonl").toString());
        t.put("output", dir.resolve("run").toString());
        out.add(new Case(cat, "data absent", Expect.ERROR, dir.resolve("run"), List.of("train", Files.write(dir.resolve("r.yaml"), recipe(t)).toString(), "--json")));
        Path emptyDir = Files.createDirectories(dir.resolve("emptydir"));
        ((ObjectNode) t.get("data")).put("train", emptyDir.toString());
        out.add(new Case(cat, "data an empty folder", Expect.ERROR, dir.resolve("run"), List.of("train", Files.write(dir.resolve("r2.yaml"), recipe(t)).toString(), "--json")));
        ObjectNode v = valid.deepCopy();
        ((ObjectNode) v.get("data")).put("validation", Files.write(dir.resolve("val.jsonl"), randomBytes(rng, 500)).toString());
        v.put("output", dir.resolve("run").toString());
        out.add(new Case(cat, "validation file of random bytes", Expect.ERROR, dir.resolve("run"), List.of("train", Files.write(dir.resolve("r3.yaml"), recipe(v)).toString(), "--json")));
        Path file = Files.writeString(dir.resolve("output-is-a-file"), "keep me");
        v = valid.deepCopy();
        v.put("output", file.toString());
        out.add(new Case(cat, "output is a file", Expect.ERROR, file, List.of("train", Files.write(dir.resolve("r4.yaml"), recipe(v)).toString(), "--json")));
        v.put("output", file.resolve("run").toString());
        out.add(new Case(cat, "output under a file", Expect.ERROR, file, List.of("train", Files.write(dir.resolve("r5.yaml"), recipe(v)).toString(), "--json")));
        return out;
    }

    private static Case dryRun(String category, String what, Expect expect, byte[] recipe) throws Exception {
        Path f = Files.write(caseDir(category).resolve("recipe.yaml"), recipe);
        return new Case(category, what, expect, null, List.of("train", f.toString(), "--dry-run"));
    }

    private static byte[] recipe(ObjectNode tree) throws Exception {
        return YAML.writeValueAsBytes(tree);
    }

    /** Dotted key -> default value of every leaf of the defaults tree. */
    private static Iterator<Map.Entry<String, JsonNode>> leaves(ObjectNode tree, String prefix) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        tree.properties().forEach(e -> {
            if (e.getValue().isObject()) leaves((ObjectNode) e.getValue(), prefix + e.getKey() + ".").forEachRemaining(out::add);
            else out.add(Map.entry(prefix + e.getKey(), e.getValue()));
        });
        return out.iterator();
    }

    /** Values that no knob of this default's type accepts, or that no knob accepts at all (NaN, infinity, negatives). */
    private static List<Object> badValues(String key, JsonNode def) {
        List<String> choices = List.of("task", "method", "classification.pooling", "optimizer.name", "schedule.name", "train.init", "eval.metric");
        if (key.equals("data.validation") || key.equals("data.test")) return List.of(-0.5, 1.5, "", List.of(1), true);
        if (def.isIntegralNumber()) return List.of("abc", 2.5, -1, List.of(1), 99_999_999_999L, Double.NaN);
        if (def.isNumber()) return List.of("abc", -1, Double.NaN, Double.POSITIVE_INFINITY, true);
        if (def.isBoolean()) return List.of("abc", 1, List.of(true));
        if (def.isArray()) return key.equals("optimizer.betas") ? List.of(List.of(0.9), "x", List.of(2, 0.9), List.of(Double.NaN, 0.9)) : List.of(5, "x", Map.of());
        if (choices.contains(key)) return List.of("bogus", 5, List.of("x"));
        return switch (key) {
            case "model", "output", "data.train" -> List.of("", List.of("x"), Map.of());
            case "data.labels" -> List.of(List.of("only-one"), "abc", 5);
            case "lora.target_modules" -> List.of(5, List.of(), Map.of());
            case "lora.modules_to_save" -> List.of(5, "x", Map.of());
            case "classification.class_weights" -> List.of(5, "x", List.of(1));
            default -> List.of(List.of("x"), Map.of());      // free text (field names): only non-strings are wrong
        };
    }

    // -- data prepare

    private static List<Case> dataPrepare(SplittableRandom rng) throws Exception {
        String cat = "data prepare";
        List<Case> out = new ArrayList<>();
        for (int k = 0; k < 110; k++) {                         // JSONL with good and bad rows
            Path dir = caseDir(cat);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int good = 0, rows = 1 + rng.nextInt(25);
            boolean allBad = k % 3 == 0;
            for (int r = 0; r < rows; r++) {
                if (!allBad && rng.nextInt(3) > 0) {
                    bytes.writeBytes((TinyClassifierFolder.row(rng, r) + "\n").getBytes(StandardCharsets.UTF_8));
                    good++;
                } else {
                    bytes.writeBytes(badJsonRow(rng));
                    bytes.write('\n');
                }
            }
            Path in = Files.write(dir.resolve("rows.jsonl"), bytes.toByteArray());
            out.add(prepare(cat, good + " good of " + rows + " rows", good > 0 ? Expect.OK : Expect.ERROR, in, dir.resolve("out")));
        }
        for (int k = 0; k < 40; k++) {                          // CSV with good and bad records
            Path dir = caseDir(cat);
            StringBuilder sb = new StringBuilder("text,label\n");
            int good = 0, rows = 1 + rng.nextInt(20);
            boolean allBad = k % 3 == 0, quotes = false;
            for (int r = 0; r < rows; r++) {
                if (!allBad && rng.nextInt(3) > 0) {
                    sb.append('"').append(TinyClassifierFolder.sentence(rng, r)).append("\",").append(TinyClassifierFolder.LABELS.get(rng.nextInt(3))).append('\n');
                    good++;
                } else {
                    String bad = pick(rng, "only one field", "a,b,c,d", "\"unterminated, quote", "\"x\"y,z", ",", "\0\0\0", "\"a\"\"b\",");
                    quotes |= bad.contains("\"");
                    sb.append(bad).append('\n');
                }
            }
            Path in = Files.writeString(dir.resolve("rows.csv"), sb);
            // a quote left open swallows what follows it until the parser resynchronises: either outcome if good rows are about
            Expect expect = good == 0 ? Expect.ERROR : quotes ? Expect.EITHER : Expect.OK;
            out.add(prepare(cat, "csv " + good + " good of " + rows, expect, in, dir.resolve("out")));
        }
        Map<String, byte[]> whole = new LinkedHashMap<>();
        whole.put("empty.jsonl", new byte[0]);
        whole.put("blank.jsonl", "\n\n   \n".getBytes(StandardCharsets.UTF_8));
        whole.put("random.jsonl", randomBytes(rng, 3000));
        whole.put("random.csv", randomBytes(rng, 3000));
        whole.put("header-only.csv", "text,label\n".getBytes(StandardCharsets.UTF_8));
        whole.put("text.parquet", "hello world\n".getBytes(StandardCharsets.UTF_8));
        whole.put("random.parquet", randomBytes(rng, 3000));
        whole.put("empty.parquet", new byte[0]);
        whole.put("truncated.jsonl.gz", Arrays.copyOf(gzip(TinyClassifierFolder.row(rng, 1).getBytes(StandardCharsets.UTF_8)), 12));
        whole.put("not-gzip.jsonl.gz", TinyClassifierFolder.row(rng, 2).getBytes(StandardCharsets.UTF_8));
        whole.put("array.json", "[1, 2, \"x\", null]".getBytes(StandardCharsets.UTF_8));
        whole.put("broken.json", "[{\"text\": \"good movie\"".getBytes(StandardCharsets.UTF_8));
        whole.put("utf16.jsonl", TinyClassifierFolder.row(rng, 3).getBytes(StandardCharsets.UTF_16));
        whole.put("empty-texts.jsonl", "{\"text\": \"\"}\n{\"text\": \"   \"}\n".getBytes(StandardCharsets.UTF_8));
        for (var f : whole.entrySet()) {
            Path dir = caseDir(cat);
            out.add(prepare(cat, f.getKey(), Expect.ERROR, Files.write(dir.resolve(f.getKey()), f.getValue()), dir.resolve("out")));
        }
        Path good = caseDir(cat).resolve("good.jsonl.gz");
        StringBuilder rows = new StringBuilder();
        for (int r = 0; r < 10; r++) rows.append(TinyClassifierFolder.row(rng, r)).append('\n');
        Files.write(good, gzip(rows.toString().getBytes(StandardCharsets.UTF_8)));
        out.add(prepare(cat, "valid gzip", Expect.OK, good, good.resolveSibling("out")));
        Path emptyDir = Files.createDirectories(caseDir(cat).resolve("empty"));
        out.add(prepare(cat, "an empty folder", Expect.ERROR, emptyDir, emptyDir.resolveSibling("out")));
        Path unknown = caseDir(cat);
        Files.writeString(unknown.resolve("notes.xyz"), "text");
        out.add(prepare(cat, "a folder of unknown files", Expect.ERROR, unknown, unknown.resolve("out")));
        // where the output goes
        Path in = caseDir(cat);
        Files.writeString(in.resolve("rows.jsonl"), rows);
        out.add(new Case(cat, "--out is the input folder", Expect.ERROR, in, List.of("data", "prepare", "-i", in.toString(), "-o", in.toString())));
        out.add(new Case(cat, "--out holds the input file", Expect.ERROR, in, List.of("data", "prepare", "-i", in.resolve("rows.jsonl").toString(), "-o", in.toString())));
        Path file = Files.writeString(in.resolveSibling("a-file"), "keep me");
        out.add(new Case(cat, "--out is a file", Expect.ERROR, file, List.of("data", "prepare", "-i", in.toString(), "-o", file.toString())));
        out.add(new Case(cat, "--out under a file", Expect.ERROR, file, List.of("data", "prepare", "-i", in.toString(), "-o", file.resolve("out").toString())));
        out.add(prepare(cat, "--out inside the input folder", Expect.OK, in, in.resolve("out")));
        out.add(prepare(cat, "--out inside the input folder, again (reads only the input)", Expect.OK, in, in.resolve("out")));
        // legitimately usable but suspicious: numbers as text, mixed label types
        Path mixed = caseDir(cat).resolve("mixed.jsonl");
        Files.writeString(mixed, "{\"text\": 12345, \"label\": 1}\n{\"text\": \"good movie\", \"label\": \"1\"}\n{\"text\": true, \"label\": \"positive\"}\n");
        out.add(prepare(cat, "numbers and booleans as text, mixed label types", Expect.OK, mixed, mixed.resolveSibling("out")));
        return out;
    }

    private static Case prepare(String category, String what, Expect expect, Path in, Path out) {
        return new Case(category, what, expect, out, List.of("data", "prepare", "-i", in.toString(), "-o", out.toString(), "--split", "1/0/0"));
    }

    /** One line that is not a usable row: broken JSON, not an object, no or a non-string text, invalid UTF-8. */
    private static byte[] badJsonRow(SplittableRandom rng) {
        return switch (rng.nextInt(9)) {
            case 0 -> "{\"text\": \"good movie\", ".getBytes(StandardCharsets.UTF_8);
            case 1 -> pick(rng, "42", "[1, 2]", "\"a string\"", "null", "true").getBytes(StandardCharsets.UTF_8);
            case 2 -> "{\"label\": \"positive\"}".getBytes(StandardCharsets.UTF_8);
            case 3 -> "{\"text\": {\"nested\": 1}, \"label\": \"positive\"}".getBytes(StandardCharsets.UTF_8);
            case 4 -> "{\"text\": [\"a\"], \"label\": \"negative\"}".getBytes(StandardCharsets.UTF_8);
            case 5 -> new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
            case 6 -> "{\"text\": \"\", \"label\": \"neutral\"}".getBytes(StandardCharsets.UTF_8);
            case 7 -> "{\"text\": \"x\", \"label\": \"\"}".getBytes(StandardCharsets.UTF_8);
            default -> randomBytes(rng, 1 + rng.nextInt(80), (byte) '\n');
        };
    }

    // -- eval and predict

    private static List<Case> evalAndPredict(SplittableRandom rng) throws Exception {
        String cat = "eval/predict";
        List<Case> out = new ArrayList<>();
        for (int k = 0; k < 90; k++) {
            Path dir = caseDir(cat);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int rows = 1 + rng.nextInt(12), bad = 0;
            boolean allGood = k % 4 == 0;
            for (int r = 0; r < rows; r++) {
                if (allGood || rng.nextInt(4) > 0) {
                    bytes.writeBytes((TinyClassifierFolder.row(rng, r) + "\n").getBytes(StandardCharsets.UTF_8));
                } else {
                    byte[] b = rng.nextBoolean() ? badJsonRow(rng) : "{\"text\": \"good movie\", \"label\": \"no-such-label\"}".getBytes(StandardCharsets.UTF_8);
                    // an empty text or label is a row (eval scores it, predict labels it); everything else is refused
                    String s = new String(b, StandardCharsets.UTF_8);
                    boolean usableForEval = s.equals("{\"text\": \"\", \"label\": \"neutral\"}");
                    boolean usableForPredict = usableForEval || s.startsWith("{\"text\": \"x\"") || s.contains("no-such-label");
                    if (!(k % 2 == 0 ? usableForEval : usableForPredict)) bad++;
                    bytes.writeBytes(b);
                    bytes.write('\n');
                }
            }
            Path in = Files.write(dir.resolve("rows.jsonl"), bytes.toByteArray());
            Expect expect = bad == 0 ? Expect.OK : Expect.ERROR;
            if (k % 2 == 0) out.add(new Case(cat, "eval " + rows + " rows, " + bad + " bad", expect, null, List.of("eval", "--model", model.toString(), "--data", in.toString(), "--json")));
            else out.add(new Case(cat, "predict " + rows + " rows, " + bad + " bad", expect, null, List.of("predict", "--model", model.toString(), "--input", in.toString(), "--json")));
        }
        Path dir = caseDir(cat);
        Path empty = Files.write(dir.resolve("empty.jsonl"), new byte[0]);
        Path csv = Files.writeString(dir.resolve("rows.csv"), "text,label\ngood movie,positive\n");
        Path base = modelWith(cat, "config.json", with((ObjectNode) Json.MAPPER.readTree(config), "architectures", List.of("BertModel")));
        for (List<String> args : List.of(
                List.of("eval", "--model", model.toString(), "--data", empty.toString()),
                List.of("eval", "--model", model.toString(), "--data", dir.toString()),
                List.of("eval", "--model", model.toString(), "--data", dir.resolve("absent.jsonl").toString()),
                List.of("eval", "--model", model.toString(), "--data", csv.toString()),
                List.of("eval", "--model", dir.resolve("absent").toString(), "--data", csv.toString()),
                List.of("eval", "--model", base.toString(), "--data", csv.toString()),
                List.of("eval", "--model", model.toString(), "--adapter", dir.toString(), "--data", csv.toString()),
                List.of("predict", "--model", model.toString(), "--input", empty.toString()),
                List.of("predict", "--model", model.toString(), "--input", dir.toString()),
                List.of("predict", "--model", model.toString()),
                List.of("predict", "--model", empty.toString(), "--text", "x"),
                List.of("predict", "--model", base.toString(), "--text", "x"),
                List.of("predict", "--model", model.toString(), "--adapter", dir.resolve("absent").toString(), "--text", "x"),
                List.of("embed", "--model", model.toString(), "--input", empty.toString()),
                List.of("embed", "--model", model.toString(), "--input", csv.toString()),
                List.of("merge", "--model", model.toString(), "--adapter", dir.toString(), "--out", dir.resolve("merged").toString()))) {
            out.add(new Case(cat, String.join(" ", args.subList(0, 1)) + " " + args.get(args.size() - 1), Expect.ERROR,
                    args.getFirst().equals("merge") ? dir.resolve("merged") : null, args));
        }
        out.add(new Case(cat, "predict an empty text", Expect.OK, null, List.of("predict", "--model", model.toString(), "--text", "")));
        out.add(new Case(cat, "predict a long text", Expect.OK, null, List.of("predict", "--model", model.toString(), "--text", "good ".repeat(20_000))));
        return out;
    }

    // -- numeric options

    private static List<Case> numericOptions() throws Exception {
        String cat = "options";
        List<Case> out = new ArrayList<>();
        Path dir = caseDir(cat);
        Path rows = Files.writeString(dir.resolve("rows.jsonl"), "{\"text\": \"good movie\", \"label\": \"positive\"}\n");
        String m = model.toString(), in = rows.toString(), o = dir.resolve("out").toString();
        List<String> ints = List.of("0", "-1", "-2147483648", "2147483648", "99999999999999999999", "abc", "", "1.5", "NaN", "0x10");
        List<String> positive = List.of("0", "-1", "-2147483648", "2147483648", "abc", "", "1.5");
        Map<List<String>, List<String>> options = new LinkedHashMap<>();
        List<String> sizes = new ArrayList<>(ints);
        sizes.addAll(List.of("100000", "46341", "20000"));     // more memory than the heap, an int overflow, hours of work
        options.put(List.of("bench", "gemm", "--m"), sizes);
        options.put(List.of("bench", "gemm", "--m", "8", "--n"), ints);
        options.put(List.of("bench", "gemm", "--m", "8", "--k"), ints);
        options.put(List.of("bench", "gemm", "--m", "8", "--threads"), ints);
        options.put(List.of("bench", "gemm", "--m", "8", "--runs"), ints);
        options.put(List.of("bench", "gemm", "--m", "8", "--warmup"), List.of("-1", "2147483647", "abc", "1e3"));
        options.put(List.of("bench", "gemm", "--m", "8", "--layout"), List.of("xx", "", "NN"));
        options.put(List.of("bench", "embed", "--model", m, "--batch"), positive);
        options.put(List.of("bench", "embed", "--model", m, "--seq"), positive);
        options.put(List.of("bench", "embed", "--model", m, "--threads"), positive);
        options.put(List.of("bench", "embed", "--model", m, "--runs"), positive);
        options.put(List.of("bench", "embed", "--model", m, "--warmup"), List.of("-1", "2147483647", "abc"));
        options.put(List.of("bench", "study", "--data", in, "--out", o, "--train"), List.of("0", "1", "-1", "abc"));
        options.put(List.of("bench", "study", "--data", in, "--out", o, "--validation"), List.of("0", "-1", "abc"));
        options.put(List.of("bench", "study", "--data", in, "--out", o, "--held-out"), List.of("0", "-1", "2147483647"));
        options.put(List.of("bench", "study", "--data", in, "--out", o, "--max-length"), List.of("0", "7", "513", "-1", "128,0", "abc"));
        options.put(List.of("bench", "study", "--data", in, "--out", o, "--epochs"), List.of("0", "-1", "1001", "abc"));
        options.put(List.of("bench", "study", "--data", in, "--out", o, "--arms"), List.of("bogus", "head,bogus", ""));
        options.put(List.of("data", "bench-dedup", "--rows"), List.of("0", "-1", "2147483647", "abc"));
        options.put(List.of("data", "bench-dedup", "--rows", "10", "--runs"), List.of("0", "-1", "2147483647"));
        options.put(List.of("data", "bench-dedup", "--rows", "10", "--near-share"), List.of("-0.1", "2", "NaN"));
        options.put(List.of("data", "bench-dedup", "--rows", "10", "--exact-share"), List.of("-0.1", "2", "NaN"));
        options.put(List.of("data", "bench-dedup", "--rows", "10", "--threshold"), List.of("0", "-1", "1.5", "NaN", "Infinity"));
        options.put(List.of("data", "bench-dedup", "--rows", "10", "--minhash-perm"), List.of("0", "-1", "100000000", "2147483647"));
        options.put(List.of("data", "bench-dedup", "--rows", "10", "--shingle"), List.of("word", "word:0", "char:-1", "x:3", "word:99999999999", ""));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--minhash-perm"), List.of("0", "-1", "1025", "100000000", "2147483647", "abc"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--lsh-bands"), List.of("0", "-1", "129", "2147483647", "abc"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--near-threshold"), List.of("0", "-0.5", "1.01", "NaN", "Infinity", "abc"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--min-chars"), List.of("-1", "-2147483648", "abc", "2147483648"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--max-chars"), List.of("0", "-1", "abc"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--min-tokens"), List.of("-1", "abc"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--max-tokens"), List.of("0", "-5", "abc"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--shingle"), List.of("word", "word:0", "char:-1", "x:3", "word:99999999999", "word:1001", ":", ""));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--split"), List.of("0.5/0.1/0.1", "NaN/0.5/0.5", "rest/99999999999999999999/0", "-1/1/1",
                "abc", "", "1/2/3/4", "train=rest,train=1", "Infinity%/0/0", "rest/rest/0"));
        options.put(List.of("data", "prepare", "-i", in, "-o", o, "--seed"), List.of("abc", "1.5", "99999999999999999999"));
        options.put(List.of("embed", "--model", m, "--text", "x", "--max-length"), List.of("0", "1", "-1", "33", "2147483647", "abc"));
        options.put(List.of("embed", "--model", m, "--text", "x", "--batch-size"), List.of("0", "-1", "2147483647", "abc"));
        options.put(List.of("embed", "--model", m, "--text", "x", "--pooling"), List.of("max", "", "CLS2"));
        options.put(List.of("export", "--model", m, "--out", o, "--max-shard-size"), List.of("0", "-1", "abc", "0.1", "5XB", "", "1e400"));
        options.put(List.of("export", "--model", m, "--out", o, "--dtype"), List.of("int8", "", "f64"));
        options.put(List.of("merge", "--model", m, "--adapter", dir.toString(), "--out", o, "--max-shard-size"), List.of("0", "-1", "abc"));
        options.put(List.of("demo", "--out", o, "--epochs"), List.of("0", "-1", "100001", "abc", "2147483648"));
        for (var e : options.entrySet()) {
            for (String v : e.getValue()) {
                List<String> args = new ArrayList<>(e.getKey());
                args.add(v);
                boolean writes = args.contains("--out") || args.contains("-o");
                out.add(new Case(cat, String.join(" ", e.getKey().subList(0, Math.min(2, e.getKey().size()))) + " " + e.getKey().getLast() + " " + v,
                        Expect.ERROR, writes ? Path.of(o) : null, args));
            }
        }
        return out;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    @SafeVarargs
    private static <T> T pick(SplittableRandom rng, T... options) {
        return options[rng.nextInt(options.length)];
    }

    private static char pickChar(SplittableRandom rng, char... options) {
        return options[rng.nextInt(options.length)];
    }

    private static byte[] randomBytes(SplittableRandom rng, int n, byte... avoid) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rng.nextInt(256);
            for (byte a : avoid) if (b[i] == a) b[i] = 'x';
        }
        return b;
    }

    private static byte[] gzip(byte[] data) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bytes)) {
            z.write(data);
        }
        return bytes.toByteArray();
    }
}
