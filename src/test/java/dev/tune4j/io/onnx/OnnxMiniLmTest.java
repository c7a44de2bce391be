package dev.tune4j.io.onnx;

import dev.tune4j.io.FileFormatException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real all-MiniLM-L6-v2 export (PyTorch 2.0.1, opset 11) shipped in the langchain4j jar.
 * Expected counts and values were read independently with the onnx Python package
 * (onnx.load + numpy_helper.to_array).
 */
class OnnxMiniLmTest {
    static final String RESOURCE = "all-minilm-l6-v2.onnx";
    static OnnxModel model;

    @BeforeAll
    static void load() throws Exception {
        URL url = OnnxMiniLmTest.class.getClassLoader().getResource(RESOURCE);
        assertNotNull(url, RESOURCE + " is not on the test classpath");
        try (InputStream in = url.openStream()) {
            model = OnnxReader.read(in, RESOURCE);
        }
    }

    @Test
    void graphHasTheExportedStructure() {
        assertEquals(6, model.irVersion());
        assertEquals("pytorch", model.producerName());
        assertEquals(Map.of("", 11L), model.opsets());
        assertEquals(102, model.initializers().size());
        assertEquals(637, model.nodes().size());
        assertEquals(146, model.nodes().stream().filter(n -> n.opType().equals("Constant")).count());
        assertEquals(48, model.nodes().stream().filter(n -> n.opType().equals("MatMul")).count());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), model.inputs().stream().map(OnnxValueInfo::name).toList());
        assertEquals(new OnnxValueInfo("input_ids", OnnxDataType.INT64, List.of("batch_size", "sequence_length")), model.inputs().getFirst());
        assertEquals(List.of("last_hidden_state"), model.outputs().stream().map(OnnxValueInfo::name).toList());
    }

    @Test
    void matMulWeightsHaveTheirShapes() {
        Map<String, Long> shapes = model.initializers().values().stream()
                .filter(t -> t.name().startsWith("onnx::MatMul_"))
                .collect(Collectors.groupingBy(t -> Arrays.toString(t.dims()), TreeMap::new, Collectors.counting()));
        assertEquals(Map.of("[384, 384]", 24L, "[384, 1536]", 6L, "[1536, 384]", 6L), shapes);

        OnnxTensor words = model.initializers().get("embeddings.word_embeddings.weight");
        assertArrayEquals(new long[]{30522, 384}, words.dims());
        assertEquals(OnnxDataType.FLOAT, words.dataType());
        assertEquals(30522 * 384, words.floatData().length);
    }

    @Test
    void queryProjectionOfLayer0ReadsItsWeightInitializer() {
        OnnxNode q = model.node("/encoder/layer.0/attention/self/query/MatMul");
        assertEquals("MatMul", q.opType());
        assertEquals(List.of("/embeddings/LayerNorm/Add_1_output_0", "onnx::MatMul_787"), q.inputs());
        OnnxTensor w = model.constant(q.inputs().get(1)).orElseThrow();
        assertArrayEquals(new int[]{384, 384}, w.shape());
        assertEquals(-0.1486196219921112f, w.floatData()[0]);
        assertEquals(0.02559983730316162f, w.floatData()[5 * 384 + 17]);
        assertEquals(-0.08523893356323242f, w.floatData()[383 * 384 + 383]);
    }

    @Test
    void initializerValuesMatchAnIndependentReader() {
        float[] words = model.initializers().get("embeddings.word_embeddings.weight").floatData();
        assertEquals(-0.01761939749121666f, words[101 * 384]);
        assertEquals(-0.007600549608469009f, words[101 * 384 + 1]);
        assertEquals(0.047105543315410614f, words[101 * 384 + 2]);
        assertEquals(0.004570063669234514f, words[30521 * 384 + 383]);
        float[] bias = model.initializers().get("encoder.layer.0.attention.self.query.bias").floatData();
        assertEquals(-0.1737075299024582f, bias[0]);
        assertEquals(-0.03423604369163513f, bias[1]);

        OnnxTensor positions = model.initializers().get("embeddings.position_ids");
        assertEquals(OnnxDataType.INT64, positions.dataType());
        assertArrayEquals(new long[]{1, 512}, positions.dims());
        for (int i = 0; i < 512; i++) assertEquals(i, positions.longData()[i]);
    }

    @Test
    void constantNodesHoldShapesAndEpsilons() {
        OnnxTensor eps = model.constant("/embeddings/LayerNorm/Constant_1_output_0").orElseThrow();
        assertEquals(OnnxDataType.FLOAT, eps.dataType());
        assertEquals(9.999999960041972e-13, eps.scalar());
        assertArrayEquals(new long[]{0}, model.constant("/embeddings/Constant_1_output_0").orElseThrow().longData());
        assertArrayEquals(new long[]{0, 2, 1, 3}, model.node("/encoder/layer.0/attention/self/Transpose").attrInts("perm"));
        assertArrayEquals(new long[]{1}, model.node("/Unsqueeze").attrInts("axes"));
    }

    @Test
    void mappedFileReadsTheSameAsTheStreamAndTruncationIsAClearError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("minilm.onnx");
        try (InputStream in = OnnxMiniLmTest.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            Files.copy(in, file);
        }
        OnnxModel mapped = OnnxReader.read(file);
        assertEquals(model.initializers().keySet(), mapped.initializers().keySet());
        for (OnnxTensor t : model.initializers().values()) {
            OnnxTensor m = mapped.initializers().get(t.name());
            if (t.isFloatingPoint()) assertArrayEquals(t.floatData(), m.floatData(), t.name());
            else assertArrayEquals(t.longData(), m.longData(), t.name());
        }
        assertEquals(model.nodes().size(), mapped.nodes().size());

        byte[] half;
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            half = new byte[(int) (ch.size() / 2)];
            ch.read(java.nio.ByteBuffer.wrap(half));
        }
        Path cut = dir.resolve("cut.onnx");
        Files.write(cut, half);
        FileFormatException e = assertThrows(FileFormatException.class, () -> OnnxReader.read(cut));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }
}
