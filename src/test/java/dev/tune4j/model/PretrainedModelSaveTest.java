package dev.tune4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.io.Safetensors;
import dev.tune4j.model.bert.SentenceEncoder;
import dev.tune4j.report.Json;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * all-MiniLM-L6-v2 (imported from ONNX) saved as a Hugging Face folder and loaded back through
 * the safetensors path: F32 is bit-identical, BF16/F16 hold the round-to-nearest-even value of
 * every weight (rounding computed here, independently of the engine), and embeddings follow.
 */
class PretrainedModelSaveTest {
    static final List<String> TEXTS = List.of("Hello world!", "Exported weights must embed the same.", "Zürich, 42 ☕");
    static PretrainedModel original;
    static float[][] originalEmbeddings;

    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() {
        original = SharedModels.miniLm();
        originalEmbeddings = SentenceEncoder.of(original, SentenceEncoder.Pooling.MEAN, true, 0).encode(TEXTS, 3);
    }

    @Test
    void f32ExportReloadsBitIdenticalWithTheSameEmbeddings() throws Exception {
        Path out = dir.resolve("minilm-f32");
        long t0 = System.nanoTime();
        List<Path> files = original.save(out, DType.F32, 5_000_000_000L);
        System.out.printf("EXPORT minilm f32 %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        assertEquals(List.of("model.safetensors", "config.json", "tokenizer.json"), files.stream().map(p -> p.getFileName().toString()).toList());
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            assertArrayEquals(in.readAllBytes(), Files.readAllBytes(out.resolve("tokenizer.json")), "tokenizer.json is copied byte for byte");
        }
        JsonNode config = Json.MAPPER.readTree(out.resolve("config.json").toFile());
        assertEquals("BertModel", config.path("architectures").path(0).asText());
        assertEquals(12, config.path("num_attention_heads").asInt());
        assertEquals(1e-12, config.path("layer_norm_eps").asDouble(), 1e-20);
        assertEquals("float32", config.path("torch_dtype").asText());

        t0 = System.nanoTime();
        try (PretrainedModel back = ModelLoader.load(out.toString())) {
            System.out.printf("LOAD minilm safetensors folder %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            assertEquals(Map.of("F32", 101), back.dtypeCounts());
            Map<String, Parameter> a = original.namedParameters(), b = back.namedParameters();
            assertEquals(a.keySet(), b.keySet());
            for (String name : a.keySet()) {
                assertFalse(b.get(name).value().isHeap(), name + " should be a view of the mapped file");
                assertArrayEquals(bits(a.get(name).value()), bits(b.get(name).value()), name);
            }
            float[][] e = SentenceEncoder.of(back, SentenceEncoder.Pooling.MEAN, true, 0).encode(TEXTS, 3);
            for (int i = 0; i < TEXTS.size(); i++) assertArrayEquals(originalEmbeddings[i], e[i], 0f, TEXTS.get(i));
        }
    }

    @Test
    void bf16AndF16ExportsHoldTheRoundedWeights() throws Exception {
        for (DType dtype : List.of(DType.BF16, DType.F16)) {
            DoubleUnaryOperator round = dtype == DType.BF16 ? PretrainedModelSaveTest::bf16 : PretrainedModelSaveTest::f16;
            Path out = dir.resolve("minilm-" + dtype);
            original.save(out, dtype, 5_000_000_000L);
            assertEquals(dtype == DType.BF16 ? "bfloat16" : "float16",
                    Json.MAPPER.readTree(out.resolve("config.json").toFile()).path("torch_dtype").asText());
            try (PretrainedModel back = ModelLoader.load(out.toString())) {
                assertEquals(Map.of(dtype.safetensorsName, 101), back.dtypeCounts());
                Map<String, Parameter> a = original.namedParameters(), b = back.namedParameters();
                for (String name : a.keySet()) {
                    Tensor stored = b.get(name).value();
                    assertEquals(dtype, stored.dtype(), name);
                    float[] want = a.get(name).value().toHeap().data(), got = stored.toHeap().data();
                    for (int i = 0; i < want.length; i++) {
                        if ((float) round.applyAsDouble(want[i]) != got[i]) {
                            fail(name + "[" + i + "]: " + want[i] + " stored as " + got[i] + ", expected " + round.applyAsDouble(want[i]));
                        }
                    }
                }
                float[][] e = SentenceEncoder.of(back, SentenceEncoder.Pooling.MEAN, true, 0).encode(TEXTS, 3);
                double worst = 0;
                for (int i = 0; i < TEXTS.size(); i++) {
                    for (int k = 0; k < e[i].length; k++) worst = Math.max(worst, Math.abs(e[i][k] - originalEmbeddings[i][k]));
                }
                System.out.printf("EXPORT minilm %s embedding maxAbsDiff=%.3e%n", dtype, worst);
                // Unit-norm 384-d vectors; measured 1.5e-3 (BF16, 8 significant bits) and 1.7e-4 (F16, 11 bits).
                assertTrue(worst < (dtype == DType.BF16 ? 1e-2 : 1e-3), dtype + " embeddings drifted by " + worst);
            }
        }
    }

    @Test
    void largeModelsAreShardedWithAnIndex() throws Exception {
        Path out = dir.resolve("minilm-sharded");
        List<Path> files = original.save(out, DType.F32, 20_000_000L);
        assertTrue(Files.isRegularFile(out.resolve(Safetensors.INDEX_FILE)));
        assertFalse(Files.exists(out.resolve(Safetensors.SINGLE_FILE)));
        assertTrue(files.stream().filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count() >= 4);
        try (PretrainedModel back = ModelLoader.load(out.toString())) {
            Map<String, Parameter> a = original.namedParameters(), b = back.namedParameters();
            for (String name : a.keySet()) assertArrayEquals(bits(a.get(name).value()), bits(b.get(name).value()), name);
        }
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().startsWith(".")), "no staging folder left behind");
    }

    @Test
    void exportRefusesTheSourceFolderAndLeavesItIntact() throws Exception {
        Path src = dir.resolve("tiny-src");
        ModelLoaderTest.writeTinyBert(src, DType.F32);
        byte[] before = Files.readAllBytes(src.resolve("model.safetensors"));
        try (PretrainedModel m = ModelLoader.load(src.toString())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.save(src, DType.BF16, 1000));
            assertTrue(e.getMessage().contains("refusing") && e.getMessage().contains(src.toString()), e.getMessage());
            // Into another existing, non-empty folder: files are replaced one by one, earlier weight files removed.
            Path other = dir.resolve("tiny-other");
            Files.createDirectories(other);
            Files.writeString(other.resolve("model-00001-of-00009.safetensors"), "stale");
            Files.writeString(other.resolve("notes.txt"), "kept");
            m.save(other, DType.F32, 1L << 30);
            assertFalse(Files.exists(other.resolve("model-00001-of-00009.safetensors")));
            assertEquals("kept", Files.readString(other.resolve("notes.txt")));
            try (PretrainedModel back = ModelLoader.load(other.toString())) {
                assertArrayEquals(m.namedParameters().get("embed.weight").value().toHeap().data(),
                        back.namedParameters().get("embed.weight").value().toHeap().data());
            }
        }
        assertArrayEquals(before, Files.readAllBytes(src.resolve("model.safetensors")));
    }

    private static int[] bits(Tensor t) {
        float[] d = t.toHeap().data();
        int[] b = new int[d.length];
        for (int i = 0; i < d.length; i++) b[i] = Float.floatToRawIntBits(d[i]);
        return b;
    }

    /** Round to nearest even on the top 16 bits (finite inputs). */
    static double bf16(double x) {
        int b = Float.floatToRawIntBits((float) x);
        int rounded = b + 0x7FFF + ((b >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    /** Round to 11 significant bits, ties to even, with binary16's subnormal spacing below 2^-14 (|x| < 65504). */
    static double f16(double x) {
        if (x == 0) return x;
        int e = Math.max(Math.getExponent(x), -14);
        double ulp = Math.scalb(1.0, e - 10);
        return Math.rint(x / ulp) * ulp;
    }
}
