package dev.tune4j.io.onnx;

import java.util.List;
import java.util.Map;

/** One graph node ({@code NodeProto}). Omitted optional inputs are kept as empty strings, as in the file. */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    public boolean has(String attribute) { return attributes.containsKey(attribute); }

    public long attrInt(String attribute, long orElse) {
        return switch (attributes.get(attribute)) {
            case null -> orElse;
            case OnnxAttribute.IntValue i -> i.value();
            case OnnxAttribute a -> throw wrongKind(a, "an int");
        };
    }

    public float attrFloat(String attribute, float orElse) {
        return switch (attributes.get(attribute)) {
            case null -> orElse;
            case OnnxAttribute.FloatValue f -> f.value();
            case OnnxAttribute a -> throw wrongKind(a, "a float");
        };
    }

    public String attrString(String attribute, String orElse) {
        return switch (attributes.get(attribute)) {
            case null -> orElse;
            case OnnxAttribute.StringValue s -> s.value();
            case OnnxAttribute a -> throw wrongKind(a, "a string");
        };
    }

    /** The ints of an INTS attribute, or null when absent. */
    public long[] attrInts(String attribute) {
        return switch (attributes.get(attribute)) {
            case null -> null;
            case OnnxAttribute.IntsValue i -> i.values();
            case OnnxAttribute a -> throw wrongKind(a, "a list of ints");
        };
    }

    /** The tensor of a TENSOR attribute, or null when absent. */
    public OnnxTensor attrTensor(String attribute) {
        return switch (attributes.get(attribute)) {
            case null -> null;
            case OnnxAttribute.TensorValue t -> t.value();
            case OnnxAttribute a -> throw wrongKind(a, "a tensor");
        };
    }

    private IllegalStateException wrongKind(OnnxAttribute a, String wanted) {
        return new IllegalStateException("node '" + name + "' (" + opType + "): attribute '" + a.name() + "' is "
                + a.getClass().getSimpleName() + ", not " + wanted);
    }
}
