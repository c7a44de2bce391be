package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.bert.SentenceEncoder;
import dev.tune4j.report.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Sentence embeddings from an encoder model: one line per input, in input order.",
                "Plain output is the vector's values separated by spaces; --json gives {\"index\", \"text\" or \"line\"/\"id\", \"embedding\"}."})
public final class EmbedCommand implements Callable<Integer> {
    /** Rows read from --input before they are sorted by length and batched: bounds memory on large files. */
    private static final int CHUNK_BATCHES = 8;
    private static final int MAX_BATCH = 1 << 16;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = ModelOptions.MODEL_HELP)
    String model;

    @Mixin
    ModelOptions options = new ModelOptions();

    @Option(names = "--pooling", defaultValue = "mean", paramLabel = "mean|cls", description = "how token states become one vector (default: ${DEFAULT-VALUE})")
    String pooling;

    @Option(names = "--normalize", description = "L2-normalise each embedding (as sentence-transformers models with a Normalize module do)")
    boolean normalize;

    @Option(names = "--max-length", paramLabel = "N",
            description = "truncate to N tokens, special tokens included (default: the tokenizer file's truncation, else the model's positions)")
    Integer maxLength;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "texts per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", arity = "1..*", paramLabel = "TEXT", description = "texts to embed")
        List<String> texts;

        @Option(names = "--input", paramLabel = "FILE.jsonl", description = "JSON lines, each an object with a string field \"text\" (and optionally \"id\")")
        Path file;
    }

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1 || batchSize > MAX_BATCH) throw new IllegalArgumentException("--batch-size must be in [1, " + MAX_BATCH + "], got " + batchSize);
        if (maxLength != null && maxLength < 2) throw new IllegalArgumentException("--max-length must be at least 2 (room for the special tokens), got " + maxLength);
        SentenceEncoder.Pooling pool = SentenceEncoder.Pooling.parse(pooling);
        if (input.file != null && !Files.isRegularFile(input.file)) throw new IllegalArgumentException(input.file + ": no such file");
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        int count = 0;
        try (PretrainedModel m = ModelLoader.load(model, options.toLoaderOptions())) {
            SentenceEncoder encoder = SentenceEncoder.of(m, pool, normalize, maxLength == null ? 0 : maxLength);
            if (input.texts != null) {
                List<Row> rows = new ArrayList<>();
                for (String t : input.texts) rows.add(new Row(rows.size(), t, -1, null));
                emit(encoder, rows, out);
                count = rows.size();
            } else {
                count = embedFile(encoder, input.file, out);
            }
            spec.commandLine().getErr().printf("embed: %d texts, dimension %d, %s pooling%s, max length %d, %.1f s%n", count,
                    encoder.dimension(), pool.name().toLowerCase(), normalize ? ", normalized" : "", encoder.maxLength(),
                    (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }

    /** One input: from --text (line -1) or a JSON line of --input (1-based line, optional id). */
    private record Row(int index, String text, int line, JsonNode id) {}

    private int embedFile(SentenceEncoder encoder, Path file, PrintWriter out) throws IOException {
        // A bad line anywhere fails the command before the first embedding is printed, not halfway through.
        int rows = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (!line.isBlank()) parse(file, lineNo, line, rows++);
            }
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        }
        if (rows == 0) throw new IllegalArgumentException(file + " holds no rows");
        List<Row> chunk = new ArrayList<>();
        int index = 0, lineNo = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                chunk.add(parse(file, lineNo, line, index++));
                if (chunk.size() == batchSize * CHUNK_BATCHES) {
                    emit(encoder, chunk, out);
                    chunk.clear();
                }
            }
        }
        emit(encoder, chunk, out);
        return index;
    }

    private static Row parse(Path file, int lineNo, String line, int index) {
        JsonNode row;
        try {
            row = Json.MAPPER.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": not valid JSON: " + firstLine(e.getMessage()));
        }
        if (row == null || !row.isObject()) throw new IllegalArgumentException(file + ":" + lineNo + ": expected a JSON object with a \"text\" field");
        JsonNode text = row.get("text");
        if (text == null || !text.isTextual()) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": " + (text == null ? "no \"text\" field" : "\"text\" is not a string"));
        }
        return new Row(index, text.textValue(), lineNo, row.get("id"));
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }

    private void emit(SentenceEncoder encoder, List<Row> rows, PrintWriter out) {
        if (rows.isEmpty()) return;
        float[][] vectors = encoder.encode(rows.stream().map(Row::text).toList(), batchSize);
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("index", row.index());
                if (row.line() < 0) o.put("text", row.text());
                else o.put("line", row.line());
                if (row.id() != null) o.put("id", row.id());
                o.put("embedding", vectors[i]);
                out.println(Json.line(o));
            } else {
                StringBuilder sb = new StringBuilder();
                for (float v : vectors[i]) {
                    if (!sb.isEmpty()) sb.append(' ');
                    sb.append(v);
                }
                out.println(sb);
            }
        }
        out.flush();
    }
}
