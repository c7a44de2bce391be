package dev.tune4j.model.bert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.SharedModels;
import dev.tune4j.tokenizer.BatchEncoding;
import dev.tune4j.tokenizer.Encoding;
import dev.tune4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * builtin:all-minilm-l6-v2 through tune4j (ONNX import -> BERT family -> Transformer ->
 * SentenceEncoder) against ONNX Runtime running the very same ONNX file. The reference embeds each
 * sentence alone (no padding) and pools as sentence-transformers does (masked mean, then L2
 * normalisation); tune4j embeds them in padded batches, so padding must change nothing.
 */
class MiniLmParityTest {
    static final String ONNX = "all-minilm-l6-v2.onnx";
    static OrtEnvironment env;
    static OrtSession session;
    static PretrainedModel model;
    static SentenceEncoder encoder;

    @BeforeAll
    static void setUp() throws Exception {
        model = SharedModels.miniLm();
        encoder = SentenceEncoder.of(model, SentenceEncoder.Pooling.MEAN, true, 0);
        byte[] bytes;
        try (InputStream in = MiniLmParityTest.class.getClassLoader().getResourceAsStream(ONNX)) {
            bytes = in.readAllBytes();
        }
        env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            session = env.createSession(bytes, opts);
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (session != null) session.close();
    }

    /** Short, long, punctuation, several scripts, emoji, numbers, whitespace, an empty text, one at and one past the truncation limit. */
    static List<String> sentences(Tokenizer tok) {
        List<String> s = new ArrayList<>(List.of(
                "Hello world!",
                "The quick brown fox jumps over the lazy dog.",
                "A",
                "",
                "What's the weather like in Zürich today?",
                "東京は日本の首都です。",
                "Emoji test 😀🚀 — with an em dash and “curly quotes”.",
                "Numbers: 3.14159, 42, 1e-9, and 1,000,000 dollars in 2024.",
                "Ñandú, façade, naïve café: accents galore.",
                "Привет, как дела?",
                "!!!???...;;;",
                "    leading and trailing spaces    ",
                "Machine learning models map sentences to dense vectors.",
                "The cat sat on the mat.",
                "A cat was sitting on a rug.",
                "Java 25 adds the Vector API incubator module jdk.incubator.vector.",
                "SELECT * FROM users WHERE id = 7;",
                "https://example.com/path?query=1&other=two#frag",
                "Line one.\nLine two.\tTabbed.",
                "إنها جملة باللغة العربية."));
        String[] words = "sentence embeddings summarise the meaning of a text in one vector so that similar texts lie close together".split(" ");
        StringBuilder near = new StringBuilder();
        for (int i = 0; tok.encode(near + " " + words[i % words.length], Integer.MAX_VALUE).length() <= tok.maxLength() - 1; i++) {
            near.append(i == 0 ? "" : " ").append(words[i % words.length]);
        }
        s.add(near.toString());                           // 126 or 127 tokens: just under the limit
        s.add((near + " ").repeat(3).strip());             // far past the limit: truncated to 128
        return s;
    }

    @Test
    void sentenceEmbeddingsMatchOnnxRuntimeInPaddedBatches() throws Exception {
        Tokenizer tok = encoder.tokenizer();
        assertEquals(128, encoder.maxLength(), "default truncation comes from the tokenizer file");
        List<String> texts = sentences(tok);
        assertTrue(texts.size() >= 20);
        int nearLength = tok.encode(texts.get(texts.size() - 2), Integer.MAX_VALUE).length();
        assertTrue(nearLength >= 120 && nearLength <= 128, "near-limit sentence has " + nearLength + " tokens");
        assertTrue(tok.encode(texts.getLast(), Integer.MAX_VALUE).length() > 128);

        float[][] ours = encoder.encode(texts, 3);
        double worst = 0;
        for (int i = 0; i < texts.size(); i++) {
            Encoding e = tok.encode(texts.get(i), encoder.maxLength());
            float[][] hidden = ort(new int[][]{e.ids()}, new int[][]{e.attentionMask()}, new int[][]{e.typeIds()})[0];
            float[] expected = meanPoolNormalize(hidden);
            assertEquals(384, ours[i].length);
            double diff = maxAbsDiff(expected, ours[i]);
            worst = Math.max(worst, diff);
            assertTrue(diff <= 1e-4, "sentence " + i + " '" + texts.get(i) + "': max abs diff " + diff);
        }
        System.out.printf("PARITY minilm maxAbsDiff=%.3e (%d sentences, mean pooling + normalize, batches of 3)%n", worst, texts.size());
    }

    @Test
    void lastHiddenStatesMatchOnnxRuntimeAtValidPositions() throws Exception {
        List<String> texts = List.of("Hello world!", "Numbers: 3.14159, 42, and 1,000,000.", "東京は日本の首都です。", "A");
        BatchEncoding batch = encoder.tokenize(texts);
        float[] ours = encoder.hidden(batch).value().data();
        float[][][] ref = ort(batch.ids(), batch.attentionMask(), batch.typeIds());
        int t = batch.ids()[0].length, d = 384;
        double worst = 0;
        int padded = 0;
        for (int b = 0; b < texts.size(); b++) {
            for (int p = 0; p < t; p++) {
                if (batch.attentionMask()[b][p] == 0) { padded++; continue; }
                for (int k = 0; k < d; k++) worst = Math.max(worst, Math.abs(ref[b][p][k] - ours[(b * t + p) * d + k]));
            }
        }
        assertTrue(padded > 0, "the batch must contain padding");
        System.out.printf("PARITY minilm lastHiddenState maxAbsDiff=%.3e%n", worst);
        assertTrue(worst <= 1e-4, "last hidden state max abs diff " + worst);
    }

    @Test
    void clsPoolingIsTheFirstTokenState() {
        SentenceEncoder cls = SentenceEncoder.of(model, SentenceEncoder.Pooling.CLS, false, 0);
        List<String> texts = List.of("Hello world!", "A longer sentence, to pad the other one.");
        float[][] e = cls.encode(texts, 2);
        BatchEncoding batch = cls.tokenize(texts);
        float[] hidden = cls.hidden(batch).value().data();
        int t = batch.ids()[0].length;
        for (int b = 0; b < 2; b++) {
            for (int k = 0; k < 384; k++) assertEquals(hidden[b * t * 384 + k], e[b][k], 0f);
        }
    }

    @Test
    void maxLengthOverrideTruncatesAndIsChecked() {
        SentenceEncoder short8 = SentenceEncoder.of(model, SentenceEncoder.Pooling.MEAN, true, 8);
        BatchEncoding b = short8.tokenize(List.of("one two three four five six seven eight nine ten"));
        assertEquals(8, b.ids()[0].length);
        assertEquals(102, b.ids()[0][7], "truncation keeps [SEP]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SentenceEncoder.of(model, SentenceEncoder.Pooling.MEAN, true, 513));
        assertTrue(e.getMessage().contains("512"), e.getMessage());
    }

    static float[][][] ort(int[][] ids, int[][] mask, int[][] types) throws Exception {
        try (OnnxTensor i = OnnxTensor.createTensor(env, longs(ids));
             OnnxTensor m = OnnxTensor.createTensor(env, longs(mask));
             OnnxTensor t = OnnxTensor.createTensor(env, longs(types));
             OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", t))) {
            return (float[][][]) r.get(0).getValue();
        }
    }

    /** sentence-transformers: mean over the (all valid) tokens, in double, then x / max(|x|, 1e-12). */
    static float[] meanPoolNormalize(float[][] hidden) {
        int d = hidden[0].length;
        double[] mean = new double[d];
        for (float[] row : hidden) for (int k = 0; k < d; k++) mean[k] += row[k] / (double) hidden.length;
        double norm = 0;
        for (double v : mean) norm += v * v;
        norm = Math.max(Math.sqrt(norm), 1e-12);
        float[] out = new float[d];
        for (int k = 0; k < d; k++) out[k] = (float) (mean[k] / norm);
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static long[][] longs(int[][] a) {
        long[][] r = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = new long[a[i].length];
            for (int j = 0; j < a[i].length; j++) r[i][j] = a[i][j];
        }
        return r;
    }
}
