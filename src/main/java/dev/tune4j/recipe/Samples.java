package dev.tune4j.recipe;

import dev.tune4j.generate.Generator;
import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.generate.Sampling;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Greedy continuations of the recipe's {@code eval.samples} prompts, before training and after each
 * evaluation: a line per prompt on the terminal and in {@code samples.jsonl}, the last ones in
 * results.json. Seeing what the model writes catches what a loss curve hides (a model that never
 * stops, or repeats itself).
 */
final class Samples {
    static final String FILE = "samples.jsonl";
    private final Transformer model;
    private final Generator generator;
    private final PromptEncoder encoder;
    private final List<String> prompts;
    private final Sampling sampling;
    private final RunFolder folder;
    private final FineTune.Options opts;
    private List<Map<String, Object>> last = List.of();

    Samples(Transformer model, Generator generator, PromptEncoder encoder, List<String> prompts, int tokens, RunFolder folder, FineTune.Options opts) {
        this.model = model;
        this.generator = generator;
        this.encoder = encoder;
        this.prompts = List.copyOf(prompts);
        this.sampling = Sampling.GREEDY.withMaxNewTokens(tokens);
        this.folder = folder;
        this.opts = opts;
    }

    static Samples of(Recipe r, Transformer model, dev.tune4j.tokenizer.Tokenizer tok, PromptEncoder encoder, Set<Integer> stopIds,
                      RunFolder folder, FineTune.Options opts) {
        return new Samples(model, new Generator(model, tok, stopIds), encoder, r.eval().samples(), r.eval().sampleTokens(), folder, opts);
    }

    void log(int step) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            List<Map<String, Object>> lines = new ArrayList<>();
            for (String p : prompts) {
                Generator.Result g = generator.generate(encoder.encode(p), sampling);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", "sample");
                m.put("step", step);
                m.put("prompt", p);
                m.put("text", g.text());
                m.put("finish", g.finish().name().toLowerCase());
                lines.add(m);
                append(m);
                opts.report(m, "step " + step + "  sample  " + oneLine(p, 40) + " -> " + oneLine(g.text(), 120)
                        + (g.finish() == Generator.Finish.EOS ? "  [end]" : ""));
            }
            last = lines;
        } finally {
            model.train(wasTraining);
        }
    }

    List<Map<String, Object>> last() { return last; }

    private void append(Map<String, Object> line) {
        try {
            Files.writeString(folder.resolve(FILE), Json.line(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + folder.resolve(FILE) + ": " + dev.tune4j.io.IoErrors.describe(e), e);
        }
    }

    private static String oneLine(String s, int max) {
        String t = s.replaceAll("\\s+", " ").strip();
        return t.length() <= max ? "\"" + t + "\"" : "\"" + t.substring(0, max - 1) + "…\"";
    }
}
