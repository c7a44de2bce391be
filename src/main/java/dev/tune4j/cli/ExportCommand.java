package dev.tune4j.cli;

import dev.tune4j.io.OutputFolder;
import dev.tune4j.io.gguf.GgmlType;
import dev.tune4j.io.gguf.OllamaModelfile;
import dev.tune4j.io.peft.PeftAdapter;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.llama.LlamaGguf;
import dev.tune4j.recipe.FineTune;
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
        description = {"Save a model as a Hugging Face folder (safetensors + config.json + tokenizer files), or as one GGUF file"
                + " for llama.cpp and Ollama (--format gguf, Llama-family causal LMs) with an Ollama Modelfile beside it.",
                "A LoRA adapter (--adapter, PEFT folder) is merged into the model first."})
public final class ExportCommand implements Callable<Integer> {
    private static final Pattern SIZE = Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\\s*");

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = ModelOptions.MODEL_HELP)
    String model;

    @Mixin
    ModelOptions options = new ModelOptions();

    @Option(names = "--out", required = true, paramLabel = "DIR|FILE.gguf",
            description = "hf: the folder to write (a new or empty one is written as a whole); gguf: the .gguf file (Modelfile goes beside it)")
    Path out;

    @Option(names = "--format", defaultValue = "hf", paramLabel = "hf|gguf", description = "hf (default) or gguf")
    String format;

    @Option(names = "--dtype", paramLabel = "f32|bf16|f16|q8_0", description = "stored dtype (default: the model's own); q8_0 for gguf only")
    String dtype;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT LoRA adapter folder to merge into the model before export")
    Path adapter;

    @Option(names = "--tokenizer-pre", paramLabel = "NAME",
            description = "gguf: llama.cpp's pre-tokenizer name (tokenizer.ggml.pre) when tune4j does not recognise the tokenizer's (it knows gpt-2, smollm, llama-bpe, qwen2)")
    String tokenizerPre;

    @Option(names = "--max-shard-size", defaultValue = "5GB", paramLabel = "SIZE",
            description = "largest shard, e.g. 2GB, 500MB, 1.5GiB (default: ${DEFAULT-VALUE}, as Hugging Face saves)")
    String maxShardSize;

    @Option(names = "--json", description = "one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "hf" -> exportHf();
            case "gguf" -> exportGguf();
            default -> throw new IllegalArgumentException("unknown --format '" + format + "' (expected hf or gguf)");
        };
    }

    /** The model with the adapter, if one was given, merged in. */
    private PretrainedModel open() throws java.io.IOException {
        PretrainedModel m = ModelLoader.load(model, options.toLoaderOptions());
        if (adapter == null) return m;
        try {
            FineTune.prepareForAdapter(m, adapter);
            PeftAdapter.load(adapter, m).merge();
            return m;
        } catch (RuntimeException | java.io.IOException e) {
            m.close();
            throw e;
        }
    }

    private Integer exportHf() throws Exception {
        if (tokenizerPre != null) throw new IllegalArgumentException("--tokenizer-pre applies to --format gguf only");
        OutputFolder.requireWritable(out, "--out");
        long maxShard = parseSize(maxShardSize);
        try (PretrainedModel m = open()) {
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

    private Integer exportGguf() throws Exception {
        String file = out.getFileName() == null ? "" : out.getFileName().toString();
        if (!file.endsWith(".gguf")) throw new IllegalArgumentException("--out for --format gguf is a file ending in .gguf, got " + out);
        if (Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a folder; --format gguf writes one .gguf file");
        Path dir = out.toAbsolutePath().normalize().getParent();
        OutputFolder.requireWritable(dir, "the folder of --out");
        try (PretrainedModel m = open()) {
            GgmlType type = dtype == null ? ggmlType(nativeDtype(m)) : parseGgmlType(dtype);
            String name = String.valueOf(Path.of(model).toAbsolutePath().normalize().getFileName());
            LlamaGguf.Result r = LlamaGguf.export(m, out, new LlamaGguf.Options(type, name, tokenizerPre));
            Integer eos = r.vocab().specialIds().get("eos");
            OllamaModelfile mf = OllamaModelfile.of(file, r.vocab().chatTemplate(), eos == null ? null : r.vocab().token(eos));
            Path modelfile = dir.resolve("Modelfile");
            Files.writeString(modelfile, mf.text());
            long bytes = Files.size(out);
            Map<String, Integer> types = new LinkedHashMap<>();
            r.tensorTypes().forEach((t, n) -> types.put(t.name(), n));
            PrintWriter w = spec.commandLine().getOut();
            for (String warning : mf.warnings()) spec.commandLine().getErr().println("warning: " + warning);
            spec.commandLine().getErr().flush();
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("out", out.toString());
                o.put("format", "gguf");
                o.put("architecture", r.architecture());
                o.put("dtype", type.name().toLowerCase(Locale.ROOT));
                o.put("tensor_types", types);
                o.put("bytes", bytes);
                o.put("tokenizer_pre", r.vocab().pre());
                o.put("tokens", r.vocab().tokenCount());
                o.put("merges", r.vocab().mergeCount());
                o.put("modelfile", modelfile.toString());
                o.put("template_format", mf.format());
                o.put("warnings", mf.warnings());
                w.println(Json.line(o));
            } else {
                w.printf("exported %s%s as GGUF (%s, %s; tensors %s; tokenizer gpt2/%s, %d tokens) to %s (%.1f MB)%n", model,
                        adapter == null ? "" : " + " + adapter, r.architecture(), type.name().toLowerCase(Locale.ROOT), types, r.vocab().pre(),
                        r.vocab().tokenCount(), out, bytes / 1e6);
                w.printf("wrote %s (%s)%n", modelfile, mf.format() == null ? "no TEMPLATE" : "TEMPLATE from the " + mf.format() + " chat template");
            }
            w.flush();
        }
        return 0;
    }

    static GgmlType parseGgmlType(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "q8_0", "q8" -> GgmlType.Q8_0;
            default -> {
                try {
                    yield ggmlType(parseDtype(s));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("unknown --dtype '" + s + "' for gguf (expected f32, f16, bf16 or q8_0)");
                }
            }
        };
    }

    private static GgmlType ggmlType(DType d) {
        return switch (d) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
        };
    }

    static DType parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "fp32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException("unknown --dtype '" + s + "' (expected f32, bf16 or f16"
                    + (s.toLowerCase(Locale.ROOT).startsWith("q") ? "; q8_0 is for export --format gguf)" : ")"));
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
