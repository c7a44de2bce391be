package dev.tune4j.io.onnx;

import java.util.List;

/**
 * A graph input, output or value_info entry: name, element type (null when not a tensor type),
 * and dims, each either a number ("384") or a symbolic name ("batch_size"), "?" when unknown.
 */
public record OnnxValueInfo(String name, OnnxDataType elemType, List<String> dims) {}
