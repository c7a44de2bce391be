package dev.tune4j.cli;

import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.LabelledRows;
import dev.tune4j.recipe.TextClassifier;
import dev.tune4j.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Label new texts with a fine-tuned classifier (cleaned as its training data was).")
public final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a run folder, a classifier folder, or a base model with --adapter")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT LoRA adapter folder to apply to --model")
    Path adapter;

    @Option(names = "--input", paramLabel = "FILE.jsonl", description = "rows with a text field (ids and other fields are echoed back)")
    Path input;

    @Option(names = "--text", paramLabel = "TEXT", arity = "1..*", description = "texts to label, instead of --input")
    List<String> texts;

    @Option(names = "--text-field", defaultValue = "text", description = "default: ${DEFAULT-VALUE}")
    String textField;

    @Option(names = "--json", description = "one JSON object per row: label and probabilities")
    boolean json;

    @Override
    public Integer call() {
        if ((input == null) == (texts == null)) throw new IllegalArgumentException("give either --input FILE.jsonl or --text TEXT...");
        try (TextClassifier c = FineTune.load(model, adapter)) {
            LabelledRows rows = input != null ? LabelledRows.read(input, textField, null) : LabelledRows.of(texts);
            List<TextClassifier.Prediction> preds = c.predict(rows.texts());
            for (int i = 0; i < preds.size(); i++) {
                TextClassifier.Prediction p = preds.get(i);
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    if (rows.ids().get(i) != null) m.put("id", rows.ids().get(i));
                    m.put("label", p.label());
                    m.put("probabilities", p.probabilities());
                    System.out.println(Json.line(m));
                } else {
                    String t = rows.texts().get(i).strip().replaceAll("\\s+", " ");
                    System.out.printf("%-10s %.3f  %s%n", p.label(), p.probabilities().get(p.label()), t.length() > 80 ? t.substring(0, 77) + "..." : t);
                }
            }
        }
        return 0;
    }
}
