package dev.tune4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Entry point for reading safetensors checkpoints: a single file, a shard index, or a model folder. */
public final class Safetensors {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private Safetensors() {}

    /**
     * Opens {@code path}: a {@code .safetensors} file, a {@code *.index.json} shard index, or a
     * folder holding {@value #INDEX_FILE} (preferred), {@value #SINGLE_FILE}, or exactly one
     * {@code .safetensors} file.
     */
    public static Checkpoint open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(INDEX_FILE))) return ShardedCheckpoint.open(path.resolve(INDEX_FILE));
            if (Files.isRegularFile(path.resolve(SINGLE_FILE))) return SafetensorsFile.open(path.resolve(SINGLE_FILE));
            List<Path> found;
            try (Stream<Path> s = Files.list(path)) {
                found = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            }
            if (found.size() == 1) return SafetensorsFile.open(found.getFirst());
            throw new IllegalArgumentException(path + ": no " + INDEX_FILE + " or " + SINGLE_FILE + " here"
                    + (found.isEmpty() ? " and no .safetensors file" : ", and several .safetensors files " + found
                    + " without an index; open one of them directly"));
        }
        if (!Files.exists(path)) throw new java.nio.file.NoSuchFileException(path.toString());
        if (path.getFileName().toString().endsWith(".index.json")) return ShardedCheckpoint.open(path);
        return SafetensorsFile.open(path);
    }
}
