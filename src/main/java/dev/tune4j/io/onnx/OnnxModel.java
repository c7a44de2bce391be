package dev.tune4j.io.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An ONNX model read into memory: the graph's initializers (in file order), its nodes (in
 * topological order, as the file stores them), and its inputs/outputs; plus model-level facts.
 * Constant values, whether initializers or Constant nodes, are found with {@link #constant}.
 */
public final class OnnxModel {
    private final long irVersion;
    private final String producerName;
    private final String producerVersion;
    private final Map<String, Long> opsets;
    private final Map<String, String> metadataProps;
    private final String graphName;
    private final Map<String, OnnxTensor> initializers;
    private final List<OnnxNode> nodes;
    private final List<OnnxValueInfo> inputs;
    private final List<OnnxValueInfo> outputs;
    private final List<OnnxValueInfo> valueInfo;
    private final Map<String, OnnxNode> byName = new HashMap<>();
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    public OnnxModel(long irVersion, String producerName, String producerVersion, Map<String, Long> opsets,
                     Map<String, String> metadataProps, String graphName, Map<String, OnnxTensor> initializers,
                     List<OnnxNode> nodes, List<OnnxValueInfo> inputs, List<OnnxValueInfo> outputs, List<OnnxValueInfo> valueInfo) {
        this.irVersion = irVersion;
        this.producerName = producerName;
        this.producerVersion = producerVersion;
        this.opsets = Collections.unmodifiableMap(opsets);
        this.metadataProps = Collections.unmodifiableMap(metadataProps);
        this.graphName = graphName;
        this.initializers = Collections.unmodifiableMap(initializers);
        this.nodes = List.copyOf(nodes);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.valueInfo = List.copyOf(valueInfo);
        for (OnnxNode n : this.nodes) {
            if (!n.name().isEmpty()) byName.putIfAbsent(n.name(), n);
            for (String o : n.outputs()) if (!o.isEmpty()) producers.put(o, n);
            for (String i : n.inputs()) if (!i.isEmpty()) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
    }

    public long irVersion() { return irVersion; }

    public String producerName() { return producerName; }

    public String producerVersion() { return producerVersion; }

    /** Operator set versions by domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() { return opsets; }

    public Map<String, String> metadataProps() { return metadataProps; }

    public String graphName() { return graphName; }

    /** Initializers by name, in file order. */
    public Map<String, OnnxTensor> initializers() { return initializers; }

    public List<OnnxNode> nodes() { return nodes; }

    public List<OnnxValueInfo> inputs() { return inputs; }

    public List<OnnxValueInfo> outputs() { return outputs; }

    public List<OnnxValueInfo> valueInfo() { return valueInfo; }

    /** The node with this name; throws when there is none. */
    public OnnxNode node(String name) {
        OnnxNode n = byName.get(name);
        if (n == null) throw new IllegalArgumentException("no node named '" + name + "' in graph '" + graphName + "'");
        return n;
    }

    /** The node that outputs {@code value}, if any (graph inputs and initializers have none). */
    public Optional<OnnxNode> producer(String value) { return Optional.ofNullable(producers.get(value)); }

    /** The nodes that read {@code value}, in graph order. */
    public List<OnnxNode> consumers(String value) { return consumers.getOrDefault(value, List.of()); }

    /**
     * The constant behind a value name: an initializer, or the output of a Constant node (its
     * {@code value} tensor, or {@code value_float(s)} / {@code value_int(s)} made into a tensor).
     */
    public Optional<OnnxTensor> constant(String value) {
        OnnxTensor t = initializers.get(value);
        if (t != null) return Optional.of(t);
        OnnxNode n = producers.get(value);
        if (n == null || !n.opType().equals("Constant") || !n.domain().isEmpty()) return Optional.empty();
        for (OnnxAttribute a : n.attributes().values()) {
            switch (a) {
                case OnnxAttribute.TensorValue v when a.name().equals("value") ->
                        { return Optional.of(new OnnxTensor(value, v.value().dataType(), v.value().dims(), v.value().floats(), v.value().longs())); }
                case OnnxAttribute.FloatValue v when a.name().equals("value_float") ->
                        { return Optional.of(new OnnxTensor(value, OnnxDataType.FLOAT, new long[0], new float[]{v.value()}, null)); }
                case OnnxAttribute.FloatsValue v when a.name().equals("value_floats") ->
                        { return Optional.of(new OnnxTensor(value, OnnxDataType.FLOAT, new long[]{v.values().length}, v.values(), null)); }
                case OnnxAttribute.IntValue v when a.name().equals("value_int") ->
                        { return Optional.of(new OnnxTensor(value, OnnxDataType.INT64, new long[0], null, new long[]{v.value()})); }
                case OnnxAttribute.IntsValue v when a.name().equals("value_ints") ->
                        { return Optional.of(new OnnxTensor(value, OnnxDataType.INT64, new long[]{v.values().length}, null, v.values())); }
                default -> { }
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "OnnxModel[" + producerName + " " + producerVersion + ", ir " + irVersion + ", " + nodes.size() + " nodes, "
                + initializers.size() + " initializers]";
    }
}
