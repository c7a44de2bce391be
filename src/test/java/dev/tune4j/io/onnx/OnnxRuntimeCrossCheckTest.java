package dev.tune4j.io.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static dev.tune4j.io.onnx.OnnxReaderTest.*;
import static dev.tune4j.io.onnx.Proto.msg;
import static org.junit.jupiter.api.Assertions.*;

/**
 * ONNX Runtime decodes the same file as a second opinion: a graph that only copies (Identity) or
 * upcasts (Cast to FLOAT) its initializers must output exactly what our reader decoded.
 */
class OnnxRuntimeCrossCheckTest {

    @Test
    void onnxRuntimeSeesTheSameInitializerValues() throws Exception {
        byte[] graph = msg(g -> {
            g.writeByteArray(1, node("id_raw", "Identity", List.of("w_raw"), List.of("o_raw")));
            g.writeByteArray(1, node("id_packed", "Identity", List.of("w_packed"), List.of("o_packed")));
            g.writeByteArray(1, node("cast_h", "Cast", List.of("h_raw"), List.of("o_h"), attrInt("to", FLOAT)));
            g.writeByteArray(1, node("cast_bf", "Cast", List.of("bf_raw"), List.of("o_bf"), attrInt("to", FLOAT)));
            g.writeByteArray(1, node("id_i64", "Identity", List.of("i64_raw"), List.of("o_i64")));
            g.writeString(2, "check");
            g.writeByteArray(5, tensor("w_raw", FLOAT, new long[]{2, 3}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(24, b -> { for (float f : RAW_F) b.putFloat(f); }))));
            g.writeByteArray(5, tensor("w_packed", FLOAT, new long[]{3}, o -> Proto.packedFloat(o, T_FLOAT_DATA, 1f, -2f, 3.25f)));
            g.writeByteArray(5, tensor("h_raw", FLOAT16, new long[]{4}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(8, b -> b.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3555).putShort((short) 0x0001)))));
            g.writeByteArray(5, tensor("bf_raw", BFLOAT16, new long[]{2}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(4, b -> b.putShort((short) 0x3F80).putShort((short) 0xC049)))));
            g.writeByteArray(5, tensor("i64_raw", INT64, new long[]{2}, o -> o.writeByteArray(T_RAW_DATA,
                    raw(16, b -> b.putLong(-5).putLong(1L << 40)))));
            g.writeByteArray(12, valueInfo("o_raw", FLOAT, 2L, 3L));
            g.writeByteArray(12, valueInfo("o_packed", FLOAT, 3L));
            g.writeByteArray(12, valueInfo("o_h", FLOAT, 4L));
            g.writeByteArray(12, valueInfo("o_bf", FLOAT, 2L));
            g.writeByteArray(12, valueInfo("o_i64", INT64, 2L));
        });
        byte[] bytes = model(graph);
        OnnxModel ours = OnnxReader.read(bytes, "check.onnx");

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(bytes, opts);
                 OrtSession.Result result = session.run(Map.of())) {
                Map<String, String> pairs = Map.of("o_raw", "w_raw", "o_packed", "w_packed", "o_h", "h_raw", "o_bf", "bf_raw");
                for (var e : pairs.entrySet()) {
                    ai.onnxruntime.OnnxTensor out = (ai.onnxruntime.OnnxTensor) result.get(e.getKey()).orElseThrow();
                    float[] ort = new float[(int) out.getInfo().getNumElements()];
                    out.getFloatBuffer().get(ort);
                    float[] mine = ours.initializers().get(e.getValue()).floatData();
                    assertEquals(ort.length, mine.length, e.getValue());
                    for (int i = 0; i < ort.length; i++) {
                        assertEquals(Float.floatToRawIntBits(ort[i]), Float.floatToRawIntBits(mine[i]), e.getValue() + "[" + i + "]");
                    }
                    assertArrayEquals(out.getInfo().getShape(), ours.initializers().get(e.getValue()).dims());
                }
                ai.onnxruntime.OnnxTensor i64 = (ai.onnxruntime.OnnxTensor) result.get("o_i64").orElseThrow();
                long[] ort = new long[2];
                i64.getLongBuffer().get(ort);
                assertArrayEquals(ort, ours.initializers().get("i64_raw").longData());
            }
        }
    }
}
