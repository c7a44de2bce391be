package dev.tune4j.cli;

import dev.tune4j.recipe.FineTune;
import dev.tune4j.recipe.RecipeLoader;
import dev.tune4j.report.Json;
import dev.tune4j.report.TrainingProgress;
import dev.tune4j.train.StopRequest;
import dev.tune4j.train.TrainingStoppedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Fine-tune a pre-trained model as a recipe (YAML) says: full, partial or LoRA; evaluates held-out data as it trains.",
                "Ctrl-C or SIGTERM stops after the current update with a checkpoint; --resume continues from it, to the same final weights."})
public final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "RECIPE.yaml",
            description = "the recipe; every knob and its default: tune4j train --defaults (optional with --resume RUN_DIR: the run's config.yaml)")
    Path recipe;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a recipe value, e.g. --set train.epochs=1 --set lora.r=16")
    List<String> sets = new ArrayList<>();

    @Option(names = "--overwrite", description = "replace an existing run folder")
    boolean overwrite;

    @Option(names = "--resume", arity = "0..1", paramLabel = "RUN_DIR", fallbackValue = "",
            description = "continue the run from its newest complete checkpoint: the recipe's output folder, or RUN_DIR")
    String resume;

    @Option(names = "--force", description = "with --resume: continue although the recipe, base model or data changed since the checkpoint")
    boolean force;

    @Option(names = "--dry-run", description = "check the recipe and print it resolved (every default filled in), train nothing")
    boolean dryRun;

    @Option(names = "--json", description = "JSON lines: one per evaluation, then the results")
    boolean json;

    @Override
    public Integer call() {
        if (force && resume == null) throw new IllegalArgumentException("--force only applies to --resume");
        RecipeLoader.Resolved resolved = RecipeLoader.load(recipeFile(), sets);
        if (dryRun) {
            System.out.print(resolved.yaml());
            return 0;
        }
        StopRequest stop = new StopRequest();
        FineTune.Options o = new FineTune.Options(overwrite, json, System.out, json ? TrainingProgress.none() : TrainingProgress.toStderr())
                .withResume(resume != null, force).withStop(stop);
        if (!json) System.out.println(Text.runHeader(resolved.recipe()));
        try (StopSignals signals = StopSignals.install(stop, System.err)) {
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
            } catch (TrainingStoppedException e) {
                String again = "tune4j train " + (recipe != null ? recipe + " --resume" : "--resume " + resume);
                String text = e.getMessage() + (e.checkpoint() != null || resume != null ? ". Continue with: " + again : "");
                if (json) System.out.println(Json.line(Map.of("type", "stopped", "step", e.step(), "message", text)));
                System.err.println("tune4j: " + text);
                return signals.exitCode() != 0 ? signals.exitCode() : 130;
            }
        }
        return 0;
    }

    /**
     * The recipe to read: RECIPE.yaml, or with {@code --resume RUN_DIR} alone that run's config.yaml;
     * {@code --resume RUN_DIR} also makes RUN_DIR the output. ({@code --resume RECIPE.yaml} reads as
     * the recipe followed by a bare --resume: the option takes the next word when it can.)
     */
    private Path recipeFile() {
        if (resume != null && !resume.isEmpty() && recipe == null && Files.isRegularFile(Path.of(resume))) {
            recipe = Path.of(resume);
            resume = "";
        }
        if (resume == null || resume.isEmpty()) {
            if (recipe == null) throw new IllegalArgumentException("give a recipe (tune4j train RECIPE.yaml), or --resume RUN_DIR to continue a run");
            return recipe;
        }
        sets.add("output=" + Json.line(resume)); // a JSON string is a YAML string, whatever the path holds
        if (recipe != null) return recipe;
        Path config = Path.of(resume).resolve("config.yaml");
        if (!Files.isRegularFile(config)) throw new IllegalArgumentException("--resume " + resume + ": no config.yaml there; is it a tune4j run folder?");
        return config;
    }
}
