package dev.tune4j.oracle;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.tune4j.oracle.BertOracle.Pooling;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.Map;

import static dev.tune4j.oracle.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The BERT oracle on real all-MiniLM-L6-v2 weights against ONNX Runtime running the exported
 * graph: an outside check that the oracle's BERT is Hugging Face's BERT (post-norm, erf GELU,
 * additive padding mask, token types, absolute positions).
 */
class BertOracleOnnxRuntimeTest {

    @Test
    void lastHiddenStateMatchesOnnxRuntimeOnAllMiniLm() throws Exception {
        Checkpoint ckpt = RealCheckpoints.allMiniLmL6V2();
        assertEquals(5 + 6 * 16, ckpt.weights().size());
        // "[CLS] hello world ! [SEP]" and a shorter padded row, as WordPiece ids.
        int[][] ids = {{101, 7592, 2088, 999, 102, 0, 0}, {101, 2023, 2003, 1037, 3231, 1012, 102}};
        int[][] mask = {{1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}};
        int[][] types = {{0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 1, 1}};

        float[] expected = onnxRuntime(ids, mask, types);
        OracleResult oracle = BertOracle.encode(ckpt, ids, mask, types, Pooling.NONE, false, null);
        System.out.printf("ORACLE-ONNX all-MiniLM-L6-v2 last_hidden_state max-abs-diff=%.2e%n", Close.maxAbsDiff(expected, oracle.output()));
        assertClose("last_hidden_state", expected, oracle.output(), 5e-6);
    }

    private static float[] onnxRuntime(int[][] ids, int[][] mask, int[][] types) throws Exception {
        byte[] model;
        try (InputStream in = BertOracleOnnxRuntimeTest.class.getResourceAsStream(RealCheckpoints.MINILM_ONNX)) {
            model = in.readAllBytes();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(model, opts);
                 OnnxTensor i = OnnxTensor.createTensor(env, longs(ids));
                 OnnxTensor m = OnnxTensor.createTensor(env, longs(mask));
                 OnnxTensor t = OnnxTensor.createTensor(env, longs(types));
                 OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", t))) {
                float[][][] h = (float[][][]) r.get(0).getValue();
                int b = h.length, n = h[0].length, d = h[0][0].length;
                float[] flat = new float[b * n * d];
                for (int x = 0; x < b; x++) for (int y = 0; y < n; y++) System.arraycopy(h[x][y], 0, flat, (x * n + y) * d, d);
                return flat;
            }
        }
    }

    private static long[][] longs(int[][] a) {
        long[][] r = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = new long[a[i].length];
            for (int j = 0; j < a[i].length; j++) r[i][j] = a[i][j];
        }
        return r;
    }
}
