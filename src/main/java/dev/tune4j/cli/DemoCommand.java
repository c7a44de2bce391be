package dev.tune4j.cli;

import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.RecipeLoader;
import dev.tune4j.recipe.SpamDemo;
import dev.tune4j.recipe.TextClassifier;
import dev.tune4j.report.Json;
import dev.tune4j.report.TrainingProgress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Fine-tune the built-in pre-trained encoder (all-MiniLM-L6-v2) with LoRA into a spam filter, "
                + "on 900 real e-mails shipped with tune4j (no downloads, about 2-5 minutes on 2 cores).")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "the run folder (default: ${DEFAULT-VALUE}; replaced if it holds an earlier demo run)")
    Path out;

    @Option(names = "--epochs", defaultValue = "3", description = "passes over the training mails (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--json", description = "JSON lines: one per evaluation (with accuracy), then the results")
    boolean json;

    private static final List<String> SAMPLES = List.of(
            "Hi Tom, the meeting moved to 3pm tomorrow, room 204. Can you bring the slides from last week?",
            "CONGRATULATIONS!!! You have been selected to receive a FREE vacation. Click here now to claim your prize, limited offer!",
            "I tried the patch on exmh 2.5 and the sequence display still flickers when I change folders.",
            "Earn $5000 a week from home! No experience needed. Reply with your bank details to start today.");

    @Override
    public Integer call() {
        if (epochs < 1 || epochs > 100) throw new IllegalArgumentException("--epochs must be in [1, 100], got " + epochs);
        RecipeLoader.Resolved recipe = SpamDemo.recipe(out).set("train.epochs", epochs).build();
        FineTune.Options o = new FineTune.Options(true, json, System.out, json ? TrainingProgress.none() : TrainingProgress.toStderr());
        if (!json) {
            System.out.println("tune4j demo: LoRA fine-tuning of all-MiniLM-L6-v2 (built in) as a spam filter on 900 SpamAssassin e-mails");
            System.out.println("  the data pipeline cleans the raw mails (headers, MIME, HTML), removes duplicates, splits validation and test;");
            System.out.println("  then " + epochs + " epochs of LoRA (r 8 on query, key, value, dense) with a fresh classification head.");
        }
        try (FineTune.Run run = FineTune.run(recipe, o)) {
            TextClassifier c = run.classifier();
            List<TextClassifier.Prediction> preds = c.predict(SAMPLES);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", "result");
                m.put("run", run.dir().toString());
                m.putAll(run.results());
                System.out.println(Json.line(m));
                for (int i = 0; i < SAMPLES.size(); i++) {
                    System.out.println(Json.line(Map.of("type", "prediction", "text", SAMPLES.get(i), "label", preds.get(i).label(),
                            "probabilities", preds.get(i).probabilities())));
                }
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> before = (Map<String, Object>) run.results().get("validation_before");
                System.out.print(Text.metrics("validation before training", before));
                System.out.println(Text.results(run));
                System.out.println("a few predictions:");
                for (int i = 0; i < SAMPLES.size(); i++) {
                    String t = SAMPLES.get(i);
                    System.out.printf("  %-5s %.3f  %s%n", preds.get(i).label(), preds.get(i).probabilities().get(preds.get(i).label()),
                            t.length() > 90 ? t.substring(0, 87) + "..." : t);
                }
                System.out.println("report: " + run.dir().resolve("report.html"));
                System.out.println("try:    ./tune4j predict --model " + run.dir() + " --text \"your e-mail text\"");
            }
        }
        return 0;
    }

}
