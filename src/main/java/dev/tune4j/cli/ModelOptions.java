package dev.tune4j.cli;

import dev.tune4j.model.ModelLoader;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options that say where a model's tokenizer and config come from when the model spec alone does not. */
final class ModelOptions {
    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.json (or its folder) to use instead of the model's")
    Path tokenizer;

    @Option(names = "--config", paramLabel = "PATH", description = "config.json to use (for ONNX models its keys win over those read from the graph)")
    Path config;

    ModelLoader.Options toLoaderOptions() {
        return new ModelLoader.Options(tokenizer, config);
    }

    static final String MODEL_HELP = "a Hugging Face folder (config.json + safetensors), a Hub id org/name[@revision]"
            + " (downloaded into the Hugging Face cache), onnx:PATH.onnx, or builtin:all-minilm-l6-v2";
}
