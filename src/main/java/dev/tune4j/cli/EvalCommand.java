package dev.tune4j.cli;

import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.LabelledRows;
import dev.tune4j.recipe.TextClassifier;
import dev.tune4j.report.Json;
import dev.tune4j.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score a fine-tuned classifier on labelled data: accuracy, macro-F1, loss and per-class figures.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a run folder, a classifier folder, or a base model with --adapter")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT LoRA adapter folder to apply to --model")
    Path adapter;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "JSONL/JSON/CSV rows with a text and a label")
    Path data;

    @Option(names = "--text-field", defaultValue = "text", description = "default: ${DEFAULT-VALUE}")
    String textField;

    @Option(names = "--label-field", defaultValue = "label", description = "default: ${DEFAULT-VALUE}")
    String labelField;

    @Option(names = "--json", description = "one JSON object")
    boolean json;

    @Override
    public Integer call() {
        try (TextClassifier c = FineTune.load(model, adapter)) {
            LabelledRows rows = LabelledRows.read(data, textField, labelField);
            Evaluator.Evaluation ev = c.evaluate(rows.texts(), rows.labels());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("accuracy", ev.metrics().get("accuracy"));
            m.put("macro_f1", ev.metrics().get("macro_f1"));
            m.put("loss", ev.loss());
            m.put("examples", ev.count());
            m.putAll(ev.details());
            if (json) System.out.println(Json.line(m));
            else System.out.print(Text.metrics(data.toString(), m) + Json.pretty(ev.details()) + "\n");
        }
        return 0;
    }
}
