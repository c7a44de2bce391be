package dev.tune4j.data;

import dev.tune4j.data.input.InputFormat;
import dev.tune4j.data.input.Inputs;
import dev.tune4j.data.input.RawRow;
import dev.tune4j.data.input.RowSink;
import dev.tune4j.data.input.TextUnit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The texts of some input files, handed over one at a time in file order, for work that needs raw
 * text and nothing else (training a tokenizer): the data pipeline's readers and schema mapping
 * without cleaning, deduplication or splits, and nothing kept. The schema is decided on the first
 * rows as {@code data prepare} decides it; every text slot of a row (instruction, input, output;
 * each message of a chat) is one text.
 */
public final class CorpusTexts {
    private CorpusTexts() {}

    /** What was read: rows, texts handed over, rows rejected (malformed, missing their field) and the first reject's reason. */
    public record Summary(long rows, long texts, long rejected, String firstReject) {}

    /**
     * @param format a format for every file, or null to go by extension
     * @param fields canonical -> source field names, e.g. text=body
     * @throws IllegalArgumentException when a file cannot be read at all, or no row has a text
     */
    public static Summary forEach(List<Path> inputs, InputFormat format, TextUnit unit, Map<String, String> fields, Consumer<String> texts) {
        if (inputs.isEmpty()) throw new IllegalArgumentException("no input files given");
        Sink sink = new Sink(fields, texts);
        for (Inputs.InputFile f : Inputs.expand(inputs, format)) {
            if (f.skipped() != null) continue;
            String error = Inputs.read(f, unit, sink);
            if (error != null) throw new IllegalArgumentException("cannot read " + f.name() + ": " + error);
        }
        sink.decide();
        if (sink.texts == 0) {
            throw new IllegalArgumentException("no text in " + inputs + (sink.firstReject == null ? "" : " (rows rejected: " + sink.firstReject + ")"));
        }
        return new Summary(sink.rows, sink.texts, sink.rejected, sink.firstReject);
    }

    private static final class Sink implements RowSink {
        final Map<String, String> fields;
        final Consumer<String> out;
        final List<RawRow> sample = new ArrayList<>();
        SchemaMapping mapping;
        long rows, texts, rejected;
        String firstReject;

        Sink(Map<String, String> fields, Consumer<String> out) {
            this.fields = fields;
            this.out = out;
        }

        @Override
        public void row(RawRow row) {
            rows++;
            if (mapping != null) {
                convert(row);
                return;
            }
            sample.add(row);
            if (sample.size() >= DataPipeline.SAMPLE) decide();
        }

        @Override
        public void reject(Reject r) {
            rejected++;
            if (firstReject == null) firstReject = r.detail() + " (" + r.origin() + ")";
        }

        void decide() {
            if (mapping != null || sample.isEmpty()) return;
            mapping = SchemaMapping.detect(sample, null, fields, null);
            sample.forEach(this::convert);
            sample.clear();
        }

        private void convert(RawRow row) {
            switch (mapping.convert(row)) {
                case Example e -> {
                    for (String t : e.texts) {
                        if (t.isEmpty()) continue;
                        out.accept(t);
                        texts++;
                    }
                }
                case Reject r -> reject(r);
                default -> throw new IllegalStateException();
            }
        }
    }
}
