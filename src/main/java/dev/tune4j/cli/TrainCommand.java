package dev.tune4j.cli;

import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.RecipeLoader;
import dev.tune4j.report.Json;
import dev.tune4j.report.TrainingProgress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune a pre-trained model as a recipe (YAML) says: full, partial or LoRA; evaluates held-out data as it trains.")
public final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RECIPE.yaml", description = "the recipe; every knob and its default: tune4j train --defaults")
    Path recipe;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a recipe value, e.g. --set train.epochs=1 --set lora.r=16")
    List<String> sets = new ArrayList<>();

    @Option(names = "--overwrite", description = "replace an existing run folder")
    boolean overwrite;

    @Option(names = "--dry-run", description = "check the recipe and print it resolved (every default filled in), train nothing")
    boolean dryRun;

    @Option(names = "--json", description = "JSON lines: one per evaluation, then the results")
    boolean json;

    @Override
    public Integer call() {
        RecipeLoader.Resolved resolved = RecipeLoader.load(recipe, sets);
        if (dryRun) {
            System.out.print(resolved.yaml());
            return 0;
        }
        FineTune.Options o = new FineTune.Options(overwrite, json, System.out, json ? TrainingProgress.none() : TrainingProgress.toStderr());
        if (!json) System.out.println(Text.runHeader(resolved.recipe()));
        try (FineTune.Run run = FineTune.run(resolved, o)) {
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", "result");
                m.put("run", run.dir().toString());
                m.putAll(run.results());
                System.out.println(Json.line(m));
            } else {
                System.out.println(Text.results(run));
            }
        }
        return 0;
    }
}
