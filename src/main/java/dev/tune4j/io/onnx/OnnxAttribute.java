package dev.tune4j.io.onnx;

import java.util.List;

/** A node attribute ({@code AttributeProto}) with its typed value. Graph and sparse attributes are kept as {@link Unsupported}. */
public sealed interface OnnxAttribute {
    String name();

    record FloatValue(String name, float value) implements OnnxAttribute {}

    record IntValue(String name, long value) implements OnnxAttribute {}

    record StringValue(String name, String value) implements OnnxAttribute {}

    record TensorValue(String name, OnnxTensor value) implements OnnxAttribute {}

    record FloatsValue(String name, float[] values) implements OnnxAttribute {}

    record IntsValue(String name, long[] values) implements OnnxAttribute {}

    record StringsValue(String name, List<String> values) implements OnnxAttribute {}

    record TensorsValue(String name, List<OnnxTensor> values) implements OnnxAttribute {}

    /** GRAPH, SPARSE_TENSOR, TYPE_PROTO and their lists: recorded by type code, value not decoded. */
    record Unsupported(String name, int type) implements OnnxAttribute {}
}
