package dev.tune4j.model;

import dev.tune4j.tensor.Tensor;

import java.util.Set;

/** Named tensors to load weights from: a safetensors checkpoint, an ONNX graph's initializers, a map. */
public interface TensorSource {
    Set<String> names();

    Tensor get(String name);

    /** Where the tensors come from, for error messages. */
    String describe();

    static TensorSource of(java.util.Map<String, Tensor> map, String description) {
        return new TensorSource() {
            public Set<String> names() { return map.keySet(); }
            public Tensor get(String name) { return map.get(name); }
            public String describe() { return description; }
        };
    }
}
