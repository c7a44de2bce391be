package dev.tune4j.io.hub;

import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Small model folders laid out as Hub repos hold them, with the files a repo carries beside the model. */
final class TinyRepos {
    private TinyRepos() {}

    /** A tiny random Llama whose vocabulary fits the tokenizer it ships with (all-MiniLM's, 30522 ids). */
    static Checkpoint llama(long seed) {
        return RandomCheckpoints.build("llama", Map.of("vocab_size", 30522, "hidden_size", 16, "intermediate_size", 24,
                "num_attention_heads", 2, "num_key_value_heads", 1, "max_position_embeddings", 64), seed);
    }

    /**
     * config.json, model.safetensors, tokenizer.json, generation_config.json, and what tune4j must not
     * fetch: README.md, .gitattributes, a pytorch_model.bin beside the safetensors, an ONNX export.
     */
    static Path llamaRepo(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        Parity.writeHfFolder(llama(seed), dir);
        tokenizer(dir);
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": 2}");
        Files.writeString(dir.resolve("README.md"), "# tiny llama\n");
        Files.writeString(dir.resolve(".gitattributes"), "*.safetensors filter=lfs diff=lfs merge=lfs -text\n");
        Files.write(dir.resolve("pytorch_model.bin"), new byte[]{'P', 'K', 3, 4, 0, 0, 0, 0});
        Files.createDirectories(dir.resolve("onnx"));
        Files.write(dir.resolve("onnx/model.onnx"), new byte[64]);
        return dir;
    }

    /**
     * The same Llama saved in shards with model.safetensors.index.json, plus two .safetensors files the
     * index does not list (an old shard and a consolidated copy): only the listed shards make the model.
     */
    static Path shardedRepo(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        Checkpoint ckpt = llama(seed);
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), ckpt.config());
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        for (var e : ckpt.weights().entrySet()) w.add(e.getKey(), Tensor.of(e.getValue(), ckpt.shape(e.getKey())));
        List<Path> shards = w.writeSharded(dir, 400_000);
        if (shards.size() < 3) throw new IllegalStateException("expected several shards, got " + shards);
        tokenizer(dir);
        Files.write(dir.resolve("model-old.safetensors"), Files.readAllBytes(shards.get(1)));
        Files.write(dir.resolve("consolidated.safetensors"), Files.readAllBytes(shards.get(1)));
        return dir;
    }

    /** A repo of an older model: config and PyTorch pickles only. */
    static Path pickleRepo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), Json.line(llama(1).config()));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[]{'P', 'K', 3, 4});
        Files.write(dir.resolve("training_args.bin"), new byte[]{'P', 'K', 3, 4});
        return dir;
    }

    private static void tokenizer(Path dir) throws IOException {
        try (InputStream in = TinyRepos.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
    }
}
