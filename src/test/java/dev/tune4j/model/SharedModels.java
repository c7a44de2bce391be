package dev.tune4j.model;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Models loaded once per test JVM (loading the 90 MB built-in ONNX takes seconds); never closed. */
public final class SharedModels {
    private static PretrainedModel miniLm;

    private SharedModels() {}

    /** builtin:all-minilm-l6-v2, loaded and built. Tests must not close it or change its weights. */
    public static synchronized PretrainedModel miniLm() {
        if (miniLm == null) {
            try {
                long t0 = System.nanoTime();
                miniLm = ModelLoader.load("builtin:all-minilm-l6-v2");
                System.out.printf("LOAD builtin:all-minilm-l6-v2 %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return miniLm;
    }
}
