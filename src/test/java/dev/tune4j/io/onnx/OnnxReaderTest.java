package dev.tune4j.io.onnx;

import com.google.protobuf.CodedOutputStream;
import dev.tune4j.io.FileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.tune4j.io.onnx.Proto.msg;
import static org.junit.jupiter.api.Assertions.*;

/** A model written field by field with CodedOutputStream (numbers from onnx.proto) reads back exactly. */
class OnnxReaderTest {
    @TempDir
    Path dir;

    // onnx.proto field numbers, restated here so the test does not lean on the reader's constants
    static final int T_DIMS = 1, T_DATA_TYPE = 2, T_FLOAT_DATA = 4, T_INT32_DATA = 5, T_INT64_DATA = 7, T_NAME = 8,
            T_RAW_DATA = 9, T_DOUBLE_DATA = 10, T_EXTERNAL_DATA = 13, T_DATA_LOCATION = 14;
    static final int FLOAT = 1, UINT8 = 2, INT32 = 6, INT64 = 7, FLOAT16 = 10, DOUBLE = 11, BFLOAT16 = 16;

    static byte[] raw(int bytes, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return b.array();
    }

    static byte[] tensor(String name, int dataType, long[] dims, Proto.Body data) {
        return msg(o -> {
            Proto.packedInt64(o, T_DIMS, dims);
            o.writeInt32(T_DATA_TYPE, dataType);
            o.writeString(T_NAME, name);
            data.write(o);
        });
    }

    static byte[] attrInt(String name, long v) {
        return msg(o -> { o.writeString(1, name); o.writeInt64(3, v); o.writeInt32(20, 2); });
    }

    static byte[] attrFloat(String name, float v) {
        return msg(o -> { o.writeString(1, name); o.writeFloat(2, v); o.writeInt32(20, 1); });
    }

    static byte[] attrTensor(String name, byte[] t) {
        return msg(o -> { o.writeString(1, name); o.writeByteArray(5, t); o.writeInt32(20, 4); });
    }

    static byte[] node(String name, String op, List<String> in, List<String> out, byte[]... attrs) {
        return msg(o -> {
            for (String s : in) o.writeString(1, s);
            for (String s : out) o.writeString(2, s);
            o.writeString(3, name);
            o.writeString(4, op);
            for (byte[] a : attrs) o.writeByteArray(5, a);
        });
    }

    static byte[] valueInfo(String name, int elemType, Object... dims) {
        byte[] shape = msg(o -> {
            for (Object d : dims) {
                o.writeByteArray(1, msg(x -> {
                    if (d instanceof Long l) x.writeInt64(1, l);
                    else x.writeString(2, (String) d);
                }));
            }
        });
        byte[] tensorType = msg(o -> { o.writeInt32(1, elemType); o.writeByteArray(2, shape); });
        byte[] type = msg(o -> o.writeByteArray(1, tensorType));
        return msg(o -> { o.writeString(1, name); o.writeByteArray(2, type); });
    }

    static byte[] model(byte[] graph) {
        return msg(o -> {
            o.writeInt64(1, 8);                                  // ir_version
            o.writeString(2, "tune4j-test");                     // producer_name
            o.writeString(3, "0.1");                             // producer_version
            o.writeByteArray(8, msg(x -> { x.writeString(1, ""); x.writeInt64(2, 17); }));   // opset_import
            o.writeByteArray(14, msg(x -> { x.writeString(1, "k"); x.writeString(2, "v"); })); // metadata_props
            o.writeByteArray(7, graph);                          // graph last: any prefix lacks it
        });
    }

    static final float[] RAW_F = {1.5f, -2.25f, 0f, 1e-30f, Float.MAX_VALUE, -0.0f};

    static byte[] handModel() {
        byte[] graph = msg(g -> {
            g.writeByteArray(1, node("/c", "Constant", List.of(), List.of("/c_out"),
                    attrTensor("value", tensor("", INT64, new long[]{2}, o -> Proto.packedInt64(o, T_INT64_DATA, -1, 384)))));
            g.writeByteArray(1, node("/eps", "Constant", List.of(), List.of("/eps_out"), attrFloat("value_float", 1e-12f)));
            g.writeByteArray(1, node("/r", "Reshape", List.of("x", "/c_out"), List.of("y")));
            g.writeByteArray(1, msg(o -> {   // a node with every list attribute kind, plus an omitted optional input
                o.writeString(1, "y");
                o.writeString(1, "");
                o.writeString(1, "w_raw");
                o.writeString(2, "z");
                o.writeString(3, "/t");
                o.writeString(4, "Custom");
                o.writeString(7, "com.example");
                o.writeByteArray(5, attrInt("axis", -1));
                o.writeByteArray(5, attrFloat("epsilon", 1e-5f));
                o.writeByteArray(5, msg(a -> { a.writeString(1, "perm"); Proto.packedInt64(a, 8, 0, 2, 1, 3); a.writeInt32(20, 7); }));
                o.writeByteArray(5, msg(a -> { a.writeString(1, "scales"); a.writeFloat(7, 0.5f); a.writeFloat(7, 2f); a.writeInt32(20, 6); }));
                o.writeByteArray(5, msg(a -> { a.writeString(1, "mode"); a.writeByteArray(4, "linear".getBytes()); a.writeInt32(20, 3); }));
                o.writeByteArray(5, msg(a -> { a.writeString(1, "names"); a.writeByteArray(9, "a".getBytes()); a.writeByteArray(9, "b".getBytes()); a.writeInt32(20, 8); }));
                o.writeByteArray(5, msg(a -> { a.writeString(1, "body"); a.writeByteArray(6, msg(x -> x.writeString(2, "sub"))); a.writeInt32(20, 5); }));
                o.writeString(6, "doc string, skipped");
            }));
            g.writeString(2, "hand");
            g.writeString(10, "graph doc, skipped");
            g.writeUInt64(99, 12345);                               // a field from the future, skipped
            g.writeByteArray(5, tensor("w_raw", FLOAT, new long[]{2, 3}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(24, b -> { for (float f : RAW_F) b.putFloat(f); }))));
            g.writeByteArray(5, tensor("w_packed", FLOAT, new long[]{3}, o -> Proto.packedFloat(o, T_FLOAT_DATA, 1f, 2f, 3f)));
            g.writeByteArray(5, tensor("w_unpacked", FLOAT, new long[]{2}, o -> { o.writeFloat(T_FLOAT_DATA, 7f); o.writeFloat(T_FLOAT_DATA, -8f); }));
            g.writeByteArray(5, tensor("h_raw", FLOAT16, new long[]{3}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(6, b -> b.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3555)))));
            g.writeByteArray(5, tensor("h_int32", FLOAT16, new long[]{2}, o -> Proto.packedInt32(o, T_INT32_DATA, 0x3800, 0x7BFF)));
            g.writeByteArray(5, tensor("bf_raw", BFLOAT16, new long[]{2}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(4, b -> b.putShort((short) 0x3F80).putShort((short) 0xC049)))));
            g.writeByteArray(5, tensor("i32", INT32, new long[]{3}, o -> Proto.packedInt32(o, T_INT32_DATA, -7, 0, Integer.MAX_VALUE)));
            g.writeByteArray(5, tensor("i64_raw", INT64, new long[]{1, 2}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(16, b -> b.putLong(Long.MIN_VALUE).putLong(42)))));
            g.writeByteArray(5, tensor("d", DOUBLE, new long[]{2}, o -> Proto.packedDouble(o, T_DOUBLE_DATA, 0.25, -1e300)));
            g.writeByteArray(5, tensor("u8_raw", UINT8, new long[]{2}, o -> o.writeByteArray(T_RAW_DATA, new byte[]{(byte) 255, 3})));
            g.writeByteArray(5, tensor("scalar", FLOAT, new long[0], o -> o.writeFloat(T_FLOAT_DATA, 3.5f)));
            g.writeByteArray(11, valueInfo("x", FLOAT, 2L, "seq", 384L));
            g.writeByteArray(12, valueInfo("z", FLOAT, "batch"));
            g.writeByteArray(13, valueInfo("y", FLOAT));
        });
        return model(graph);
    }

    @Test
    void handWrittenModelReadsBackExactly() throws Exception {
        Path p = dir.resolve("hand.onnx");
        Files.write(p, handModel());
        OnnxModel m = OnnxReader.read(p);
        assertEquals(8, m.irVersion());
        assertEquals("tune4j-test", m.producerName());
        assertEquals("0.1", m.producerVersion());
        assertEquals(Map.of("", 17L), m.opsets());
        assertEquals(Map.of("k", "v"), m.metadataProps());
        assertEquals("hand", m.graphName());

        assertEquals(List.of("w_raw", "w_packed", "w_unpacked", "h_raw", "h_int32", "bf_raw", "i32", "i64_raw", "d", "u8_raw", "scalar"),
                List.copyOf(m.initializers().keySet()));
        var init = m.initializers();
        assertArrayEquals(new long[]{2, 3}, init.get("w_raw").dims());
        assertArrayEquals(new int[]{2, 3}, init.get("w_raw").shape());
        assertEquals(OnnxDataType.FLOAT, init.get("w_raw").dataType());
        float[] back = init.get("w_raw").floatData();
        for (int i = 0; i < RAW_F.length; i++) assertEquals(Float.floatToRawIntBits(RAW_F[i]), Float.floatToRawIntBits(back[i]));
        assertArrayEquals(new float[]{1f, 2f, 3f}, init.get("w_packed").floatData());
        assertArrayEquals(new float[]{7f, -8f}, init.get("w_unpacked").floatData());
        assertArrayEquals(new float[]{1f, -2f, 0.333251953125f}, init.get("h_raw").floatData());
        assertArrayEquals(new float[]{0.5f, 65504f}, init.get("h_int32").floatData());
        assertArrayEquals(new float[]{1f, -3.140625f}, init.get("bf_raw").floatData());
        assertArrayEquals(new long[]{-7, 0, Integer.MAX_VALUE}, init.get("i32").longData());
        assertArrayEquals(new long[]{Long.MIN_VALUE, 42}, init.get("i64_raw").longData());
        assertArrayEquals(new float[]{0.25f, Float.NEGATIVE_INFINITY}, init.get("d").floatData());
        assertArrayEquals(new long[]{255, 3}, init.get("u8_raw").longData());
        assertEquals(3.5, init.get("scalar").scalar());
        assertEquals(0, init.get("scalar").dims().length);
        assertArrayEquals(new float[]{1.5f, -2.25f, 0f, 1e-30f, Float.MAX_VALUE, -0.0f}, init.get("w_raw").toTensor().data());

        assertEquals(4, m.nodes().size());
        OnnxNode reshape = m.node("/r");
        assertEquals("Reshape", reshape.opType());
        assertEquals(List.of("x", "/c_out"), reshape.inputs());
        OnnxTensor shape = m.constant("/c_out").orElseThrow();
        assertEquals(OnnxDataType.INT64, shape.dataType());
        assertArrayEquals(new long[]{-1, 384}, shape.longData());
        assertEquals(1e-12f, (float) m.constant("/eps_out").orElseThrow().scalar());
        assertTrue(m.constant("w_packed").isPresent());
        assertTrue(m.constant("y").isEmpty());
        assertEquals("/r", m.producer("y").orElseThrow().name());
        assertEquals(List.of("/t"), m.consumers("w_raw").stream().map(OnnxNode::name).toList());

        OnnxNode t = m.node("/t");
        assertEquals("com.example", t.domain());
        assertEquals(List.of("y", "", "w_raw"), t.inputs());
        assertEquals(-1, t.attrInt("axis", 0));
        assertEquals(7, t.attrInt("missing", 7));
        assertEquals(1e-5f, t.attrFloat("epsilon", 0));
        assertArrayEquals(new long[]{0, 2, 1, 3}, t.attrInts("perm"));
        assertArrayEquals(new float[]{0.5f, 2f}, ((OnnxAttribute.FloatsValue) t.attributes().get("scales")).values());
        assertEquals("linear", t.attrString("mode", ""));
        assertEquals(List.of("a", "b"), ((OnnxAttribute.StringsValue) t.attributes().get("names")).values());
        assertEquals(new OnnxAttribute.Unsupported("body", 5), t.attributes().get("body"));
        var e = assertThrows(IllegalStateException.class, () -> t.attrInt("epsilon", 0));
        assertTrue(e.getMessage().contains("/t") && e.getMessage().contains("epsilon"), e.getMessage());

        assertEquals(List.of(new OnnxValueInfo("x", OnnxDataType.FLOAT, List.of("2", "seq", "384"))), m.inputs());
        assertEquals(List.of(new OnnxValueInfo("z", OnnxDataType.FLOAT, List.of("batch"))), m.outputs());
        assertEquals("y", m.valueInfo().getFirst().name());

        // The same bytes through the stream and array paths give the same model.
        OnnxModel fromStream = OnnxReader.read(new java.io.ByteArrayInputStream(handModel()), "hand");
        OnnxModel fromArray = OnnxReader.read(handModel(), "hand");
        for (OnnxModel other : List.of(fromStream, fromArray)) {
            assertEquals(m.initializers().keySet(), other.initializers().keySet());
            for (String k : m.initializers().keySet()) {
                OnnxTensor a = m.initializers().get(k), b = other.initializers().get(k);
                assertArrayEquals(a.dims(), b.dims());
                if (a.isFloatingPoint()) assertArrayEquals(a.floatData(), b.floatData(), k);
                else assertArrayEquals(a.longData(), b.longData(), k);
            }
            assertEquals(m.nodes().stream().map(n -> n.name() + n.opType() + n.inputs() + n.outputs() + n.attributes().keySet()).toList(),
                    other.nodes().stream().map(n -> n.name() + n.opType() + n.inputs() + n.outputs() + n.attributes().keySet()).toList());
        }
    }

    @Test
    void everyTruncationOfTheFileIsAClearError() throws Exception {
        byte[] full = handModel();
        for (int cut = 0; cut < full.length; cut++) {
            Path p = dir.resolve("cut.onnx");
            Files.write(p, Arrays.copyOf(full, cut));
            FileFormatException e = assertThrows(FileFormatException.class, () -> OnnxReader.read(p), "cut at " + cut);
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("no graph"), e.getMessage());
        }
    }

    private FileFormatException refusedTensor(byte[] tensor) {
        byte[] model = model(msg(g -> g.writeByteArray(5, tensor)));
        return assertThrows(FileFormatException.class, () -> OnnxReader.read(model, "bad.onnx"));
    }

    @Test
    void externalDataIsRefusedNamingTheTensor() {
        var e = refusedTensor(tensor("big.weight", FLOAT, new long[]{4}, o -> {
            o.writeByteArray(T_EXTERNAL_DATA, msg(x -> { x.writeString(1, "location"); x.writeString(2, "weights.bin"); }));
            o.writeInt32(T_DATA_LOCATION, 1);
        }));
        assertTrue(e.getMessage().contains("bad.onnx") && e.getMessage().contains("'big.weight'")
                && e.getMessage().contains("external") && e.getMessage().contains("weights.bin"), e.getMessage());
    }

    @Test
    void dataThatDoesNotMatchDimsIsRefusedNamingTheTensor() {
        var e = refusedTensor(tensor("w", FLOAT, new long[]{2, 3}, o -> o.writeByteArray(T_RAW_DATA, new byte[20])));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("20 bytes") && e.getMessage().contains("needs 24"), e.getMessage());
        var e2 = refusedTensor(tensor("v", FLOAT, new long[]{3}, o -> Proto.packedFloat(o, T_FLOAT_DATA, 1f, 2f)));
        assertTrue(e2.getMessage().contains("'v'") && e2.getMessage().contains("holds 2 values"), e2.getMessage());
        var e3 = refusedTensor(tensor("empty", FLOAT, new long[]{3}, o -> { }));
        assertTrue(e3.getMessage().contains("'empty'") && e3.getMessage().contains("no data"), e3.getMessage());
        var e4 = refusedTensor(tensor("s", 8, new long[]{1}, o -> o.writeByteArray(6, "x".getBytes())));
        assertTrue(e4.getMessage().contains("'s'") && e4.getMessage().contains("STRING"), e4.getMessage());
    }

    @Test
    void notAnOnnxFileIsRefused() throws IOException {
        Path p = dir.resolve("text.onnx");
        Files.writeString(p, "this is not a protobuf at all, just some text\n");
        assertThrows(FileFormatException.class, () -> OnnxReader.read(p));
    }
}
