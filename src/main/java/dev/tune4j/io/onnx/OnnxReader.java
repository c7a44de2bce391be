package dev.tune4j.io.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.tune4j.io.FileFormatException;
import dev.tune4j.tensor.DType;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX {@code ModelProto} with protobuf's wire-format reader ({@link CodedInputStream}),
 * field numbers as in onnx.proto, no generated classes. A file is memory-mapped and parsed with
 * aliasing, so each tensor's raw_data is decoded straight from the mapping into its float/long
 * array: one copy in all. Unknown fields are skipped; what cannot be represented (external data,
 * string tensors, sparse initializers) is refused with a message naming the tensor.
 */
public final class OnnxReader {
    // ModelProto
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
            MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8, MODEL_METADATA_PROPS = 14;
    // GraphProto
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11,
            GRAPH_OUTPUT = 12, GRAPH_VALUE_INFO = 13, GRAPH_SPARSE_INITIALIZER = 15;
    // NodeProto
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4,
            NODE_ATTRIBUTE = 5, NODE_DOMAIN = 7;
    // AttributeProto
    private static final int ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_T = 5, ATTR_G = 6,
            ATTR_FLOATS = 7, ATTR_INTS = 8, ATTR_STRINGS = 9, ATTR_TENSORS = 10, ATTR_TYPE = 20;
    // AttributeProto.AttributeType
    private static final int TYPE_FLOAT = 1, TYPE_INT = 2, TYPE_STRING = 3, TYPE_TENSOR = 4, TYPE_FLOATS = 6,
            TYPE_INTS = 7, TYPE_STRINGS = 8, TYPE_TENSORS = 9;
    // TensorProto
    private static final int T_DIMS = 1, T_DATA_TYPE = 2, T_FLOAT_DATA = 4, T_INT32_DATA = 5, T_INT64_DATA = 7,
            T_NAME = 8, T_RAW_DATA = 9, T_DOUBLE_DATA = 10, T_UINT64_DATA = 11, T_EXTERNAL_DATA = 13,
            T_DATA_LOCATION = 14;
    private static final int DATA_LOCATION_EXTERNAL = 1;
    // ValueInfoProto / TypeProto / TensorShapeProto
    private static final int VI_NAME = 1, VI_TYPE = 2, TYPE_TENSOR_TYPE = 1, TT_ELEM_TYPE = 1, TT_SHAPE = 2,
            SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2;
    // OperatorSetIdProto, StringStringEntryProto
    private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2, ENTRY_KEY = 1, ENTRY_VALUE = 2;

    private final String source;

    private OnnxReader(String source) {
        this.source = source;
    }

    /** Reads a .onnx file through a memory map (released before returning). */
    public static OnnxModel read(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new FileFormatException(file, null, "is " + size + " bytes; an ONNX protobuf is at most 2 GB"
                        + " (larger models keep weights as external data, which is not supported)");
            }
            MemorySegment map = size == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            CodedInputStream in = CodedInputStream.newInstance(map.asByteBuffer());
            in.enableAliasing(true);
            return new OnnxReader(file.toString()).model(in);
        }
    }

    /** Reads a model from a stream (e.g. a classpath resource); {@code source} names it in errors. */
    public static OnnxModel read(InputStream stream, String source) throws IOException {
        return new OnnxReader(source).model(CodedInputStream.newInstance(stream, 1 << 16));
    }

    public static OnnxModel read(byte[] bytes, String source) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.enableAliasing(true);
        return new OnnxReader(source).model(in);
    }

    private OnnxModel model(CodedInputStream in) throws IOException {
        in.setSizeLimit(Integer.MAX_VALUE);
        try {
            return parseModel(in);
        } catch (InvalidProtocolBufferException e) {
            throw new FileFormatException(source, null, "truncated or corrupt ONNX protobuf: " + e.getMessage(), e);
        }
    }

    // ---- messages ------------------------------------------------------------------------------

    private OnnxModel parseModel(CodedInputStream in) throws IOException {
        long irVersion = 0;
        String producerName = "", producerVersion = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Map<String, String> props = new LinkedHashMap<>();
        Graph graph = null;
        for (int tag; (tag = next(in)) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case MODEL_IR_VERSION -> irVersion = in.readInt64();
                case MODEL_PRODUCER_NAME -> producerName = in.readString();
                case MODEL_PRODUCER_VERSION -> producerVersion = in.readString();
                case MODEL_GRAPH -> { int old = enter(in, tag); graph = parseGraph(in); in.popLimit(old); }
                case MODEL_OPSET_IMPORT -> {
                    int old = enter(in, tag);
                    String domain = "";
                    long version = 0;
                    for (int t; (t = next(in)) != 0; ) {
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case OPSET_DOMAIN -> domain = in.readString();
                            case OPSET_VERSION -> version = in.readInt64();
                            default -> in.skipField(t);
                        }
                    }
                    in.popLimit(old);
                    opsets.put(domain, version);
                }
                case MODEL_METADATA_PROPS -> { int old = enter(in, tag); String[] kv = parseEntry(in); in.popLimit(old); props.put(kv[0], kv[1]); }
                default -> in.skipField(tag);
            }
        }
        if (graph == null) throw new FileFormatException(source, null, "no graph in the model (not an ONNX ModelProto?)");
        return new OnnxModel(irVersion, producerName, producerVersion, opsets, props, graph.name, graph.initializers,
                graph.nodes, graph.inputs, graph.outputs, graph.valueInfo);
    }

    private static final class Graph {
        String name = "";
        final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        final List<OnnxNode> nodes = new ArrayList<>();
        final List<OnnxValueInfo> inputs = new ArrayList<>(), outputs = new ArrayList<>(), valueInfo = new ArrayList<>();
    }

    private Graph parseGraph(CodedInputStream in) throws IOException {
        Graph g = new Graph();
        for (int tag; (tag = next(in)) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case GRAPH_NODE -> { int old = enter(in, tag); g.nodes.add(parseNode(in)); in.popLimit(old); }
                case GRAPH_NAME -> g.name = in.readString();
                case GRAPH_INITIALIZER -> {
                    int old = enter(in, tag);
                    OnnxTensor t = parseTensor(in);
                    in.popLimit(old);
                    if (g.initializers.put(t.name(), t) != null) {
                        throw new FileFormatException(source, t.name(), "initializer name appears twice");
                    }
                }
                case GRAPH_INPUT -> { int old = enter(in, tag); g.inputs.add(parseValueInfo(in)); in.popLimit(old); }
                case GRAPH_OUTPUT -> { int old = enter(in, tag); g.outputs.add(parseValueInfo(in)); in.popLimit(old); }
                case GRAPH_VALUE_INFO -> { int old = enter(in, tag); g.valueInfo.add(parseValueInfo(in)); in.popLimit(old); }
                case GRAPH_SPARSE_INITIALIZER -> throw new FileFormatException(source, null,
                        "the graph has sparse initializers, which this reader does not support");
                default -> in.skipField(tag);
            }
        }
        return g;
    }

    private OnnxNode parseNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        String name = "", opType = "", domain = "";
        List<OnnxAttribute> attributes = new ArrayList<>();
        for (int tag; (tag = next(in)) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(in.readString());
                case NODE_OUTPUT -> outputs.add(in.readString());
                case NODE_NAME -> name = in.readString();
                case NODE_OP_TYPE -> opType = in.readString();
                case NODE_DOMAIN -> domain = in.readString();
                case NODE_ATTRIBUTE -> { int old = enter(in, tag); attributes.add(parseAttribute(in)); in.popLimit(old); }
                default -> in.skipField(tag);
            }
        }
        Map<String, OnnxAttribute> byName = new LinkedHashMap<>();
        for (OnnxAttribute a : attributes) byName.put(a.name(), a);
        return new OnnxNode(name, opType, domain, List.copyOf(inputs), List.copyOf(outputs), byName);
    }

    private OnnxAttribute parseAttribute(CodedInputStream in) throws IOException {
        String name = "";
        int type = 0;
        Float f = null;
        Long i = null;
        String s = null;
        OnnxTensor t = null;
        FloatList floats = new FloatList();
        LongList ints = new LongList();
        List<String> strings = new ArrayList<>();
        List<OnnxTensor> tensors = new ArrayList<>();
        boolean graph = false;
        for (int tag; (tag = next(in)) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ATTR_NAME -> name = in.readString();
                case ATTR_TYPE -> type = in.readInt32();
                case ATTR_F -> f = in.readFloat();
                case ATTR_I -> i = in.readInt64();
                case ATTR_S -> s = in.readBytes().toStringUtf8();
                case ATTR_T -> { int old = enter(in, tag); t = parseTensor(in); in.popLimit(old); }
                case ATTR_G -> { graph = true; in.skipField(tag); }
                case ATTR_FLOATS -> readFloats(in, tag, floats);
                case ATTR_INTS -> readVarints(in, tag, ints, false);
                case ATTR_STRINGS -> strings.add(in.readBytes().toStringUtf8());
                case ATTR_TENSORS -> { int old = enter(in, tag); tensors.add(parseTensor(in)); in.popLimit(old); }
                default -> in.skipField(tag);
            }
        }
        if (type == 0) {   // IR version 1 files carry no type: infer it from the field that is present
            type = f != null ? TYPE_FLOAT : i != null ? TYPE_INT : s != null ? TYPE_STRING : t != null ? TYPE_TENSOR
                    : floats.size > 0 ? TYPE_FLOATS : ints.size > 0 ? TYPE_INTS : !strings.isEmpty() ? TYPE_STRINGS
                    : !tensors.isEmpty() ? TYPE_TENSORS : graph ? 5 : 0;
        }
        return switch (type) {
            case TYPE_FLOAT -> new OnnxAttribute.FloatValue(name, f == null ? 0f : f);
            case TYPE_INT -> new OnnxAttribute.IntValue(name, i == null ? 0L : i);
            case TYPE_STRING -> new OnnxAttribute.StringValue(name, s == null ? "" : s);
            case TYPE_TENSOR -> {
                if (t == null) throw new FileFormatException(source, name, "TENSOR attribute without a tensor");
                yield new OnnxAttribute.TensorValue(name, t);
            }
            case TYPE_FLOATS -> new OnnxAttribute.FloatsValue(name, floats.toArray());
            case TYPE_INTS -> new OnnxAttribute.IntsValue(name, ints.toArray());
            case TYPE_STRINGS -> new OnnxAttribute.StringsValue(name, List.copyOf(strings));
            case TYPE_TENSORS -> new OnnxAttribute.TensorsValue(name, List.copyOf(tensors));
            default -> new OnnxAttribute.Unsupported(name, type);
        };
    }

    private OnnxValueInfo parseValueInfo(CodedInputStream in) throws IOException {
        String name = "";
        OnnxDataType elemType = null;
        List<String> dims = new ArrayList<>();
        for (int tag; (tag = next(in)) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case VI_NAME -> name = in.readString();
                case VI_TYPE -> {
                    int oldType = enter(in, tag);
                    for (int t; (t = next(in)) != 0; ) {
                        if (WireFormat.getTagFieldNumber(t) != TYPE_TENSOR_TYPE) { in.skipField(t); continue; }
                        int oldTensor = enter(in, t);
                        for (int u; (u = next(in)) != 0; ) {
                            switch (WireFormat.getTagFieldNumber(u)) {
                                case TT_ELEM_TYPE -> elemType = OnnxDataType.of(in.readInt32());
                                case TT_SHAPE -> { int oldShape = enter(in, u); parseShape(in, dims); in.popLimit(oldShape); }
                                default -> in.skipField(u);
                            }
                        }
                        in.popLimit(oldTensor);
                    }
                    in.popLimit(oldType);
                }
                default -> in.skipField(tag);
            }
        }
        return new OnnxValueInfo(name, elemType, List.copyOf(dims));
    }

    private void parseShape(CodedInputStream in, List<String> dims) throws IOException {
        for (int tag; (tag = next(in)) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) != SHAPE_DIM) { in.skipField(tag); continue; }
            int old = enter(in, tag);
            String dim = "?";
            for (int t; (t = next(in)) != 0; ) {
                switch (WireFormat.getTagFieldNumber(t)) {
                    case DIM_VALUE -> dim = Long.toString(in.readInt64());
                    case DIM_PARAM -> dim = in.readString();
                    default -> in.skipField(t);
                }
            }
            in.popLimit(old);
            dims.add(dim);
        }
    }

    private String[] parseEntry(CodedInputStream in) throws IOException {
        String key = "", value = "";
        for (int tag; (tag = next(in)) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ENTRY_KEY -> key = in.readString();
                case ENTRY_VALUE -> value = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new String[]{key, value};
    }

    // ---- tensors -------------------------------------------------------------------------------

    private OnnxTensor parseTensor(CodedInputStream in) throws IOException {
        LongList dims = new LongList();
        int dataType = 0, location = 0;
        String name = "";
        FloatList floatData = new FloatList();
        LongList int32Data = new LongList(), int64Data = new LongList(), uint64Data = new LongList();
        List<Double> doubleData = new ArrayList<>();
        ByteBuffer raw = null;
        String externalLocation = null;
        for (int tag; (tag = next(in)) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case T_DIMS -> readVarints(in, tag, dims, false);
                case T_DATA_TYPE -> dataType = in.readInt32();
                case T_FLOAT_DATA -> readFloats(in, tag, floatData);
                case T_INT32_DATA -> readVarints(in, tag, int32Data, true);
                case T_INT64_DATA -> readVarints(in, tag, int64Data, false);
                case T_NAME -> name = in.readString();
                case T_RAW_DATA -> raw = in.readByteBuffer();
                case T_DOUBLE_DATA -> readDoubles(in, tag, doubleData);
                case T_UINT64_DATA -> readVarints(in, tag, uint64Data, false);
                case T_EXTERNAL_DATA -> {
                    int old = enter(in, tag);
                    String[] kv = parseEntry(in);
                    in.popLimit(old);
                    if (kv[0].equals("location")) externalLocation = kv[1];
                    else if (externalLocation == null) externalLocation = "?";
                }
                case T_DATA_LOCATION -> location = in.readInt32();
                default -> in.skipField(tag);
            }
        }
        if (location == DATA_LOCATION_EXTERNAL || externalLocation != null) {
            throw new FileFormatException(source, name, "stores its data in an external file (location '" + externalLocation
                    + "'); external data is not supported: export the model with the weights inside the .onnx file");
        }
        OnnxDataType type = OnnxDataType.of(dataType);
        if (type == null) throw new FileFormatException(source, name, "unknown data_type " + dataType);
        long[] shape = dims.toArray();
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new FileFormatException(source, name, "negative dimension in dims " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 8) throw new FileFormatException(source, name, "dims " + Arrays.toString(shape) + " hold too many elements for one array");
        int count = (int) n;

        if (raw != null) {
            if (type.byteSize == 0) throw new FileFormatException(source, name, type + " data in raw_data is not supported");
            if (raw.remaining() != (long) count * type.byteSize) {
                throw new FileFormatException(source, name, "raw_data holds " + raw.remaining() + " bytes but " + type
                        + " " + Arrays.toString(shape) + " needs " + (long) count * type.byteSize);
            }
            return decodeRaw(name, type, shape, count, raw.order(ByteOrder.LITTLE_ENDIAN));
        }
        switch (type) {
            case FLOAT -> { return new OnnxTensor(name, type, shape, checked(name, floatData.toArray(), count), null); }
            case DOUBLE -> {
                float[] f = new float[doubleData.size()];
                for (int k = 0; k < f.length; k++) f[k] = doubleData.get(k).floatValue();
                return new OnnxTensor(name, type, shape, checked(name, f, count), null);
            }
            case FLOAT16, BFLOAT16 -> {
                long[] bits = checked(name, int32Data.toArray(), count);
                float[] f = new float[count];
                for (int k = 0; k < count; k++) {
                    f[k] = type == OnnxDataType.FLOAT16 ? Float.float16ToFloat((short) bits[k]) : DType.bf16ToF32((short) bits[k]);
                }
                return new OnnxTensor(name, type, shape, f, null);
            }
            case INT64 -> { return new OnnxTensor(name, type, shape, null, checked(name, int64Data.toArray(), count)); }
            case INT32, INT16, INT8, UINT16, UINT8, BOOL -> { return new OnnxTensor(name, type, shape, null, checked(name, int32Data.toArray(), count)); }
            case UINT32, UINT64 -> { return new OnnxTensor(name, type, shape, null, checked(name, uint64Data.toArray(), count)); }
            default -> throw new FileFormatException(source, name, type + " tensors are not supported (only numeric types)");
        }
    }

    private OnnxTensor decodeRaw(String name, OnnxDataType type, long[] shape, int count, ByteBuffer raw) {
        int p = raw.position();
        switch (type) {
            case FLOAT -> {
                float[] f = new float[count];
                raw.asFloatBuffer().get(f);
                return new OnnxTensor(name, type, shape, f, null);
            }
            case FLOAT16, BFLOAT16 -> {
                float[] f = new float[count];
                for (int k = 0; k < count; k++) {
                    short bits = raw.getShort(p + 2 * k);
                    f[k] = type == OnnxDataType.FLOAT16 ? Float.float16ToFloat(bits) : DType.bf16ToF32(bits);
                }
                return new OnnxTensor(name, type, shape, f, null);
            }
            case DOUBLE -> {
                float[] f = new float[count];
                for (int k = 0; k < count; k++) f[k] = (float) raw.getDouble(p + 8 * k);
                return new OnnxTensor(name, type, shape, f, null);
            }
            case INT64, UINT64 -> {
                long[] l = new long[count];
                raw.asLongBuffer().get(l);
                return new OnnxTensor(name, type, shape, null, l);
            }
            default -> {
                long[] l = new long[count];
                for (int k = 0; k < count; k++) {
                    l[k] = switch (type) {
                        case INT32 -> raw.getInt(p + 4 * k);
                        case UINT32 -> Integer.toUnsignedLong(raw.getInt(p + 4 * k));
                        case INT16 -> raw.getShort(p + 2 * k);
                        case UINT16 -> Short.toUnsignedLong(raw.getShort(p + 2 * k));
                        case INT8 -> raw.get(p + k);
                        case UINT8, BOOL -> Byte.toUnsignedLong(raw.get(p + k));
                        default -> throw new FileFormatException(source, name, type + " tensors are not supported (only numeric types)");
                    };
                }
                return new OnnxTensor(name, type, shape, null, l);
            }
        }
    }

    private float[] checked(String name, float[] data, int count) {
        if (data.length != count) throw countMismatch(name, data.length, count);
        return data;
    }

    private long[] checked(String name, long[] data, int count) {
        if (data.length != count) throw countMismatch(name, data.length, count);
        return data;
    }

    private FileFormatException countMismatch(String name, int found, int count) {
        return new FileFormatException(source, name, found == 0 && count > 0
                ? "has no data (" + count + " elements expected)"
                : "holds " + found + " values but its dims need " + count);
    }

    // ---- wire helpers --------------------------------------------------------------------------

    /** Enters a length-delimited sub-message; returns the limit to restore with popLimit. */
    private int enter(CodedInputStream in, int tag) throws IOException {
        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            throw new FileFormatException(source, null, "field " + WireFormat.getTagFieldNumber(tag)
                    + " should be a message but has wire type " + WireFormat.getTagWireType(tag) + " (corrupt file?)");
        }
        return in.pushLimit(in.readRawVarint32());
    }

    /**
     * The next field's tag, or 0 at the end of the current message. The reader also answers 0 at
     * the end of the input, so a sub-message that stops before its declared length means the
     * file was cut short.
     */
    private int next(CodedInputStream in) throws IOException {
        int tag = in.readTag();
        if (tag == 0 && in.getBytesUntilLimit() > 0) {
            throw new FileFormatException(source, null, "truncated: the input ends " + in.getBytesUntilLimit()
                    + " bytes before the end of a message");
        }
        return tag;
    }

    /** A repeated varint field, packed (one length-delimited run) or not (one value per tag). */
    private static void readVarints(CodedInputStream in, int tag, LongList into, boolean int32) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int old = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) into.add(int32 ? in.readInt32() : in.readInt64());
            in.popLimit(old);
        } else {
            into.add(int32 ? in.readInt32() : in.readInt64());
        }
    }

    private static void readFloats(CodedInputStream in, int tag, FloatList into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int length = in.readRawVarint32();
            int old = in.pushLimit(length);
            into.reserve(length / 4);
            while (in.getBytesUntilLimit() > 0) into.add(in.readFloat());
            in.popLimit(old);
        } else {
            into.add(in.readFloat());
        }
    }

    private static void readDoubles(CodedInputStream in, int tag, List<Double> into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int old = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) into.add(in.readDouble());
            in.popLimit(old);
        } else {
            into.add(in.readDouble());
        }
    }

    private static final class LongList {
        long[] a = new long[8];
        int size;

        void add(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        long[] toArray() { return Arrays.copyOf(a, size); }
    }

    private static final class FloatList {
        float[] a = new float[8];
        int size;

        void reserve(int more) {
            if (size + more > a.length) a = Arrays.copyOf(a, size + more);
        }

        void add(float v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        float[] toArray() { return size == a.length ? a : Arrays.copyOf(a, size); }
    }
}
