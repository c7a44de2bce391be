package dev.tune4j.cli;

import dev.tune4j.data.CorpusTexts;
import dev.tune4j.data.input.InputFormat;
import dev.tune4j.data.input.TextUnit;
import dev.tune4j.io.OutputFolder;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.BpeFiles;
import dev.tune4j.tokenizer.BpeModel;
import dev.tune4j.tokenizer.BpeTrainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a byte-level BPE tokenizer (GPT-2 / SmolLM2 style) on text files and save it as a Hugging Face",
                "tokenizer: tokenizer.json, tokenizer_config.json (with a ChatML chat_template when <|im_start|> and <|im_end|>",
                "are special tokens), special_tokens_map.json. The first special token is bos, eos and pad."})
public final class TokenizerTrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", arity = "1..*", required = true, paramLabel = "FILE",
            description = "Text to learn from: JSONL/JSON/CSV/Parquet rows (every text field of the detected schema) or plain text (.gz too), or folders.")
    List<Path> data = new ArrayList<>();

    @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "Tokens in all: special tokens + 256 bytes + merges.")
    int vocabSize;

    @Option(names = "--min-frequency", defaultValue = "2", paramLabel = "K", description = "Merge only pairs seen at least K times (default: ${DEFAULT-VALUE}).")
    int minFrequency;

    @Option(names = "--special", arity = "1..*", paramLabel = "TOKEN",
            description = "Special tokens, ids 0, 1, ... (default: <|endoftext|> <|im_start|> <|im_end|>).")
    List<String> specials;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the tokenizer files (a model folder, say).")
    Path out;

    @Option(names = "--model-max-length", defaultValue = "2048", paramLabel = "N", description = "Context length written to tokenizer_config.json (default: ${DEFAULT-VALUE}).")
    int modelMaxLength;

    @Option(names = "--format", paramLabel = "FORMAT", description = "Read every input as jsonl, json, csv, tsv, parquet or text (default: by extension).")
    String format;

    @Option(names = "--text-unit", defaultValue = "file", paramLabel = "UNIT", description = "Plain text: one text per line, paragraph or file (default: ${DEFAULT-VALUE}, line breaks kept).")
    String textUnit;

    @Option(names = "--field", paramLabel = "CANONICAL=SOURCE", description = "Map a source field to a canonical one, e.g. --field text=body.")
    Map<String, String> fields = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        OutputFolder.requireWritable(out, "--out");
        if (modelMaxLength < 1) throw new IllegalArgumentException("--model-max-length must be positive, got " + modelMaxLength);
        BpeTrainer trainer;
        try {
            trainer = new BpeTrainer(vocabSize, minFrequency, specials == null ? BpeTrainer.DEFAULT_SPECIAL_TOKENS : specials);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--vocab-size/--min-frequency/--special: " + e.getMessage(), e);
        }
        long t0 = System.nanoTime();
        CorpusTexts.Summary read = CorpusTexts.forEach(data, format == null ? null : InputFormat.parse(format), TextUnit.parse(textUnit), fields, trainer::add);
        long t1 = System.nanoTime();
        BpeModel model = trainer.train();
        long t2 = System.nanoTime();
        List<Path> files = BpeFiles.write(model, out, modelMaxLength);
        long t3 = System.nanoTime();

        PrintWriter o = spec.commandLine().getOut();
        double charsPerToken = trainer.tokens() == 0 ? 0 : (double) trainer.chars() / trainer.tokens();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", "tokenizer train");
            m.put("out", out.toString());
            m.put("files", files.stream().map(Path::toString).toList());
            m.put("rows", read.rows());
            m.put("texts", read.texts());
            m.put("rejected", read.rejected());
            m.put("chars", trainer.chars());
            m.put("distinct_pre_tokens", trainer.distinctPreTokens());
            m.put("vocab_size", model.vocabSize());
            m.put("merges", model.merges().size());
            m.put("special_tokens", model.specialTokens());
            m.put("min_frequency", minFrequency);
            m.put("tokens", trainer.tokens());
            m.put("chars_per_token", charsPerToken);
            m.put("seconds", Map.of("read", (t1 - t0) / 1e9, "train", (t2 - t1) / 1e9, "write", (t3 - t2) / 1e9));
            o.println(Json.line(m));
        } else {
            o.printf("tune4j tokenizer train: %d texts, %,d characters, %,d distinct pre-tokens -> %s%n", read.texts(), trainer.chars(),
                    trainer.distinctPreTokens(), out);
            o.printf("  vocabulary %d (%d special, 256 bytes, %d merges) in %.1f s (reading %.1f s, learning %.1f s)%n", model.vocabSize(),
                    model.specialTokens().size(), model.merges().size(), (t3 - t0) / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
            o.printf("  training text: %,d tokens, %.2f characters per token%n", trainer.tokens(), charsPerToken);
            if (model.vocabSize() < vocabSize) {
                o.printf("  stopped at %d of %d tokens: no pair left that occurs %d times or more%n", model.vocabSize(), vocabSize, minFrequency);
            }
        }
        o.flush();
        if (read.rejected() > 0) {
            spec.commandLine().getErr().println("tune4j: warning: " + read.rejected() + " rows could not be read, e.g. " + read.firstReject());
        }
        return 0;
    }
}
