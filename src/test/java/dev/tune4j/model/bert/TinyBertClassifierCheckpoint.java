package dev.tune4j.model.bert;

import dev.tune4j.io.SafetensorsWriter;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A random-weight {@code BertForSequenceClassification} saved as Hugging Face does: config.json
 * with id2label/label2id, and model.safetensors under the real state-dict names and shapes
 * (written out here by hand, not through tune4j's weight rules, so loading proves the mapping).
 */
public final class TinyBertClassifierCheckpoint {
    public static final int VOCAB = 40, HIDDEN = 16, LAYERS = 2, HEADS = 4, INTERMEDIATE = 24, POSITIONS = 32, LABELS = 3;

    private TinyBertClassifierCheckpoint() {}

    public static String config(String architecture) {
        return """
                {"architectures": ["%s"], "model_type": "bert", "vocab_size": %d, "hidden_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "intermediate_size": %d,
                 "max_position_embeddings": %d, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
                 "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "classifier_dropout": null,
                 "id2label": {"0": "negative", "1": "neutral", "2": "positive"},
                 "label2id": {"negative": 0, "neutral": 1, "positive": 2},
                 "problem_type": "single_label_classification"}""".formatted(architecture, VOCAB, HIDDEN, LAYERS, HEADS, INTERMEDIATE, POSITIONS);
    }

    /** Writes the folder; returns every tensor written, by its checkpoint name. */
    public static Map<String, Tensor> write(Path folder, String architecture, long seed) throws Exception {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> w = new LinkedHashMap<>();
        String e = "bert.embeddings.";
        w.put(e + "word_embeddings.weight", Tensor.randn(rng, 0.5f, VOCAB, HIDDEN));
        w.put(e + "position_embeddings.weight", Tensor.randn(rng, 0.5f, POSITIONS, HIDDEN));
        w.put(e + "token_type_embeddings.weight", Tensor.randn(rng, 0.5f, 2, HIDDEN));
        w.put(e + "LayerNorm.weight", Tensor.uniform(rng, 0.5f, 1.5f, HIDDEN));
        w.put(e + "LayerNorm.bias", Tensor.randn(rng, 0.1f, HIDDEN));
        for (int i = 0; i < LAYERS; i++) {
            String p = "bert.encoder.layer." + i + ".";
            for (String lin : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
                w.put(p + lin + ".weight", Tensor.randn(rng, 0.3f, HIDDEN, HIDDEN));
                w.put(p + lin + ".bias", Tensor.randn(rng, 0.1f, HIDDEN));
            }
            w.put(p + "attention.output.LayerNorm.weight", Tensor.uniform(rng, 0.5f, 1.5f, HIDDEN));
            w.put(p + "attention.output.LayerNorm.bias", Tensor.randn(rng, 0.1f, HIDDEN));
            w.put(p + "intermediate.dense.weight", Tensor.randn(rng, 0.3f, INTERMEDIATE, HIDDEN));
            w.put(p + "intermediate.dense.bias", Tensor.randn(rng, 0.1f, INTERMEDIATE));
            w.put(p + "output.dense.weight", Tensor.randn(rng, 0.3f, HIDDEN, INTERMEDIATE));
            w.put(p + "output.dense.bias", Tensor.randn(rng, 0.1f, HIDDEN));
            w.put(p + "output.LayerNorm.weight", Tensor.uniform(rng, 0.5f, 1.5f, HIDDEN));
            w.put(p + "output.LayerNorm.bias", Tensor.randn(rng, 0.1f, HIDDEN));
        }
        // Pre-activations of a few units, so tanh is exercised well beyond its linear range.
        w.put("bert.pooler.dense.weight", Tensor.randn(rng, 0.6f, HIDDEN, HIDDEN));
        w.put("bert.pooler.dense.bias", Tensor.randn(rng, 0.5f, HIDDEN));
        w.put("classifier.weight", Tensor.randn(rng, 0.5f, LABELS, HIDDEN));
        w.put("classifier.bias", Tensor.randn(rng, 0.2f, LABELS));

        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), config(architecture));
        SafetensorsWriter writer = new SafetensorsWriter(DType.F32);
        w.forEach(writer::add);
        writer.add("bert.embeddings.position_ids", Tensor.of(new float[POSITIONS], 1, POSITIONS)); // a buffer older exports carry
        writer.write(folder.resolve("model.safetensors"));
        return w;
    }
}
