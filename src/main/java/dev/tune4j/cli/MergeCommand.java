package dev.tune4j.cli;

import dev.tune4j.io.OutputFolder;
import dev.tune4j.io.peft.PeftAdapter;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.recipe.FineTune;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Fold a LoRA adapter (PEFT folder: adapter_config.json + adapter_model.safetensors) into its base model "
                + "and save the result as a Hugging Face folder.")
public final class MergeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "BASE", description = "the base model: " + ModelOptions.MODEL_HELP)
    String model;

    @Mixin
    ModelOptions options = new ModelOptions();

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "the PEFT adapter folder")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the folder to write (a new or empty one is written as a whole)")
    Path out;

    @Option(names = "--dtype", paramLabel = "f32|bf16|f16", description = "stored dtype (default: the base model's own)")
    String dtype;

    @Option(names = "--max-shard-size", defaultValue = "5GB", paramLabel = "SIZE",
            description = "largest shard, e.g. 2GB, 500MB (default: ${DEFAULT-VALUE}, as Hugging Face saves)")
    String maxShardSize;

    @Option(names = "--json", description = "one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        OutputFolder.requireWritable(out, "--out");
        long maxShard = ExportCommand.parseSize(maxShardSize);
        try (PretrainedModel m = ModelLoader.load(model, options.toLoaderOptions())) {
            DType d = dtype == null ? ExportCommand.nativeDtype(m) : ExportCommand.parseDtype(dtype);
            FineTune.prepareForAdapter(m, adapter);
            LoraAdapters adapters = PeftAdapter.load(adapter, m);
            adapters.merge();
            List<Path> files = m.save(out, d, maxShard);
            long bytes = 0;
            List<String> names = new ArrayList<>();
            for (Path f : files) {
                bytes += Files.size(f);
                names.add(f.getFileName().toString());
            }
            int modules = adapters.targets().size();
            List<String> saved = adapters.config().modulesToSave();
            PrintWriter w = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("out", out.toString());
                o.put("dtype", d.safetensorsName);
                o.put("r", adapters.config().r());
                o.put("merged_modules", modules);
                o.put("modules_to_save", saved);
                o.put("files", names);
                o.put("bytes", bytes);
                w.println(Json.line(o));
            } else {
                w.printf("merged %s (r=%d, %d modules%s) into %s; wrote %s to %s: %s (%.1f MB)%n", adapter, adapters.config().r(), modules,
                        saved.isEmpty() ? "" : ", modules_to_save " + String.join(", ", saved), model, d.safetensorsName, out,
                        String.join(", ", names), bytes / 1e6);
            }
            w.flush();
        }
        return 0;
    }
}
