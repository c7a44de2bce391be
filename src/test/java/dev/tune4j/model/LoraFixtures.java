package dev.tune4j.model;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.Safetensors;
import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.model.bert.TinyBertClassifierCheckpoint;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/** Small Hugging Face folders (random weights, real names) and helpers for the LoRA tests. */
public final class LoraFixtures {
    private LoraFixtures() {}

    /** A RandomCheckpoints model ("llama", "llama3", "gpt2", ...) written as config.json + model.safetensors under dir. */
    public static Path folder(Path dir, String family, Map<String, Object> overrides, long seed) throws IOException {
        Checkpoint ckpt = RandomCheckpoints.build(family, overrides, seed);
        Files.createDirectories(dir);
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), ckpt.config());
        SafetensorsWriter w = new SafetensorsWriter(DType.F32);
        for (var e : ckpt.weights().entrySet()) w.add(e.getKey(), Tensor.of(e.getValue(), ckpt.shape(e.getKey())));
        w.write(dir.resolve(Safetensors.SINGLE_FILE));
        return dir;
    }

    /** A tiny BertForSequenceClassification (hidden 16, 2 layers, 3 labels). */
    public static Path bertClassifier(Path dir, long seed) throws Exception {
        TinyBertClassifierCheckpoint.write(dir, "BertForSequenceClassification", seed);
        return dir;
    }

    public static PretrainedModel load(Path dir) throws IOException {
        return ModelLoader.load(dir.toString());
    }

    /** Gives every adapter parameter random values (B too, so the update is not zero). */
    public static void randomise(LoraAdapters adapters, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Parameter p : adapters.parameters()) {
            Tensor v = p.value();
            p.setValue(p.name().endsWith("lora_A") || p.name().endsWith("lora_B")
                    ? Tensor.randn(rng, 0.3f, v.shape())
                    : Tensor.of(addNoise(v.toHeap().data(), rng), v.shape()));
        }
    }

    private static float[] addNoise(float[] d, SplittableRandom rng) {
        float[] out = d.clone();
        for (int i = 0; i < out.length; i++) out[i] += (float) (0.2 * Tensor.gaussian(rng));
        return out;
    }

    public static TokenBatch tokens(int batch, int seq, int vocab, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] ids = new int[batch][seq];
        for (int[] row : ids) for (int i = 0; i < seq; i++) row[i] = rng.nextInt(vocab);
        return TokenBatch.of(ids, null);
    }

    /** Logits of a causal LM or a sequence classifier, without a tape (the inference path). */
    public static float[] logits(PretrainedModel m, TokenBatch batch) {
        return m.module() instanceof dev.tune4j.model.bert.BertClassifier c ? c.logits(batch).data().clone() : m.model().logits(batch).data().clone();
    }
}
