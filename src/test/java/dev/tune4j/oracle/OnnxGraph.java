package dev.tune4j.oracle;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float initializers and the node list of an ONNX model, read straight from the protobuf wire
 * format (ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1,
 * output = 2, op_type = 4; TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8,
 * raw_data = 9), so no generated ONNX classes are needed.
 */
final class OnnxGraph {
    record Node(String opType, List<String> inputs, List<String> outputs) {}

    final Map<String, float[]> floats = new LinkedHashMap<>();
    final Map<String, int[]> shapes = new LinkedHashMap<>();
    final List<Node> nodes = new ArrayList<>();

    static OnnxGraph read(InputStream in) throws IOException {
        OnnxGraph g = new OnnxGraph();
        CodedInputStream model = CodedInputStream.newInstance(in);
        model.setSizeLimit(Integer.MAX_VALUE);
        while (true) {
            int tag = model.readTag();
            if (tag == 0) break;
            if (WireFormat.getTagFieldNumber(tag) == 7) {
                g.readGraph(CodedInputStream.newInstance(model.readByteBuffer()));
            } else {
                model.skipField(tag);
            }
        }
        return g;
    }

    private void readGraph(CodedInputStream in) throws IOException {
        in.setSizeLimit(Integer.MAX_VALUE);
        while (true) {
            int tag = in.readTag();
            if (tag == 0) return;
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nodes.add(readNode(CodedInputStream.newInstance(in.readByteBuffer())));
                case 5 -> readTensor(CodedInputStream.newInstance(in.readByteBuffer()));
                default -> in.skipField(tag);
            }
        }
    }

    private static Node readNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        String op = "";
        while (true) {
            int tag = in.readTag();
            if (tag == 0) return new Node(op, inputs, outputs);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readString());
                case 2 -> outputs.add(in.readString());
                case 4 -> op = in.readString();
                default -> in.skipField(tag);
            }
        }
    }

    private void readTensor(CodedInputStream in) throws IOException {
        in.setSizeLimit(Integer.MAX_VALUE);
        List<Integer> dims = new ArrayList<>();
        List<Float> floatData = new ArrayList<>();
        int dataType = 0;
        String name = null;
        ByteBuffer raw = null;
        while (true) {
            int tag = in.readTag();
            if (tag == 0) break;
            int field = WireFormat.getTagFieldNumber(tag), wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case 1 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) dims.add(Math.toIntExact(in.readInt64()));
                        in.popLimit(limit);
                    } else {
                        dims.add(Math.toIntExact(in.readInt64()));
                    }
                }
                case 2 -> dataType = in.readInt32();
                case 4 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) floatData.add(in.readFloat());
                        in.popLimit(limit);
                    } else {
                        floatData.add(in.readFloat());
                    }
                }
                case 8 -> name = in.readString();
                case 9 -> raw = in.readByteBuffer();
                default -> in.skipField(tag);
            }
        }
        if (dataType != 1 || name == null) return; // only FLOAT initializers matter here
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        float[] v = new float[Math.toIntExact(Torch.numel(shape))];
        if (raw != null) {
            raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        } else {
            for (int i = 0; i < v.length; i++) v[i] = floatData.get(i);
        }
        floats.put(name, v);
        shapes.put(name, shape);
    }
}
