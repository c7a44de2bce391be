package dev.tune4j.cli;

import dev.tune4j.io.OutputFolder;
import dev.tune4j.model.ModelLoader;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Save a model as a Hugging Face folder (safetensors + config.json + tokenizer files).")
public final class ExportCommand implements Callable<Integer> {
    private static final Pattern SIZE = Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\\s*");

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = ModelOptions.MODEL_HELP)
    String model;

    @Mixin
    ModelOptions options = new ModelOptions();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the folder to write (a new or empty one is written as a whole)")
    Path out;

    @Option(names = "--dtype", paramLabel = "f32|bf16|f16", description = "stored dtype (default: the model's own)")
    String dtype;

    @Option(names = "--max-shard-size", defaultValue = "5GB", paramLabel = "SIZE",
            description = "largest shard, e.g. 2GB, 500MB, 1.5GiB (default: ${DEFAULT-VALUE}, as Hugging Face saves)")
    String maxShardSize;

    @Option(names = "--json", description = "one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        OutputFolder.requireWritable(out, "--out");
        long maxShard = parseSize(maxShardSize);
        try (PretrainedModel m = ModelLoader.load(model, options.toLoaderOptions())) {
            DType d = dtype == null ? nativeDtype(m) : parseDtype(dtype);
            List<Path> files = m.save(out, d, maxShard);
            long bytes = 0;
            List<String> names = new ArrayList<>();
            for (Path f : files) {
                bytes += Files.size(f);
                names.add(f.getFileName().toString());
            }
            PrintWriter w = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("out", out.toString());
                o.put("dtype", d.safetensorsName);
                o.put("parameters", m.parameterCount());
                o.put("files", names);
                o.put("bytes", bytes);
                w.println(Json.line(o));
            } else {
                w.printf("exported %s (%d parameters, %s) to %s: %s (%.1f MB)%n", model, m.parameterCount(), d.safetensorsName, out,
                        String.join(", ", names), bytes / 1e6);
            }
            w.flush();
        }
        return 0;
    }

    static DType parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "fp32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException("unknown --dtype '" + s + "' (expected f32, bf16 or f16)");
        };
    }

    /** The dtype most of the model's stored weights have (F32 for anything wider). */
    static DType nativeDtype(PretrainedModel m) {
        Map<String, Integer> counts = m.dtypeCounts();
        int bf16 = counts.getOrDefault("BF16", 0), f16 = counts.getOrDefault("F16", 0), f32 = counts.getOrDefault("F32", 0);
        if (bf16 > f32 && bf16 >= f16) return DType.BF16;
        if (f16 > f32) return DType.F16;
        return DType.F32;
    }

    /** "2GB" = 2e9 bytes (Hugging Face's decimal units), "2GiB" = 2^31, a bare number is bytes. */
    static long parseSize(String s) {
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("cannot read size '" + s + "' (e.g. 2GB, 500MB, 1.5GiB, or bytes)");
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        double scale = switch (unit) {
            case "b" -> 1;
            case "kb" -> 1e3;
            case "mb" -> 1e6;
            case "gb" -> 1e9;
            case "tb" -> 1e12;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            default -> 1L << 40;
        };
        long bytes = (long) (v * scale);
        if (bytes <= 0) throw new IllegalArgumentException("--max-shard-size must be positive, got '" + s + "'");
        return bytes;
    }
}
