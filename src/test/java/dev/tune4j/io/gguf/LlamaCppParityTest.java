package dev.tune4j.io.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.HfTokenizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp itself loads our GGUF files and decodes greedily the same tokens as our forward on the
 * same prompt ids, and tokenizes text as the Hugging Face tokenizer does. llama.cpp comes as the
 * prebuilt CPU binaries in the npm package node-llama-cpp, driven by
 * src/test/resources/gguf/llama-cpp-greedy.mjs; it is looked for in {@code $TUNE4J_NODE_LLAMA_CPP}
 * (the package folder) or under ~/.cache/tune4j/node-llama-cpp (where .ci/run installs it), and
 * the tests skip, saying so, when node or the package is missing.
 */
class LlamaCppParityTest {
    static final int GENERATE = 16;
    static final String TEXT = "the cat sat on the mat 1234 <|im_start|>in all  the\nmats";

    @TempDir
    Path dir;

    static Path nodeLlamaCpp;

    @BeforeAll
    static void findLlamaCpp() {
        String env = System.getenv("TUNE4J_NODE_LLAMA_CPP");
        Path pkg = env != null ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "tune4j", "node-llama-cpp", "node_modules", "node-llama-cpp");
        String why = null;
        if (!Files.isRegularFile(pkg.resolve("dist/index.js"))) why = "node-llama-cpp is not installed at " + pkg;
        else if (!nodeRuns()) why = "node is not on the PATH";
        if (why != null) {
            System.out.println("SKIPPED LlamaCppParityTest: " + why + " (scripts/install-node-llama-cpp.sh installs it, as .ci/run does;"
                    + " or set TUNE4J_NODE_LLAMA_CPP to a node-llama-cpp package folder)");
        }
        Assumptions.assumeTrue(why == null, why);
        nodeLlamaCpp = pkg;
    }

    private static boolean nodeRuns() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The script's JSON line: llama.cpp's greedy tokens after {@code prompt}, and its tokenization of {@code text}. */
    private JsonNode llamaCpp(Path gguf, int[] prompt, String text) throws Exception {
        Path script = dir.resolve("llama-cpp-greedy.mjs");
        try (InputStream in = getClass().getResourceAsStream("/gguf/llama-cpp-greedy.mjs")) {
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        List<String> cmd = new ArrayList<>(List.of("node", script.toString(), nodeLlamaCpp.toString(), gguf.toString(),
                Arrays.stream(prompt).mapToObj(Integer::toString).collect(Collectors.joining(",")), Integer.toString(GENERATE), text));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("node.err").toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "node did not finish in 120 s");
        String stdout = new String(out, StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), "node failed: " + stdout + "\n" + Files.readString(dir.resolve("node.err")));
        return Json.MAPPER.readTree(stdout.substring(stdout.lastIndexOf('\n') + 1));
    }

    /** Greedy decoding by our forward, recomputing the whole prefix at each step. */
    static List<Integer> greedy(Transformer t, int[] prompt, int n) {
        List<Integer> ids = new ArrayList<>(Arrays.stream(prompt).boxed().toList()), out = new ArrayList<>();
        for (int step = 0; step < n; step++) {
            int[] seq = ids.stream().mapToInt(Integer::intValue).toArray();
            float[] logits = t.logits(TokenBatch.of(seq, 1, seq.length)).data();
            int vocab = logits.length / seq.length, best = 0;
            for (int v = 1; v < vocab; v++) if (logits[(seq.length - 1) * vocab + v] > logits[(seq.length - 1) * vocab + best]) best = v;
            out.add(best);
            ids.add(best);
        }
        return out;
    }

    /** The largest |p_ours - p_llama.cpp| over every prompt position and vocabulary id (ids llama.cpp omits count as 0). */
    static double maxProbabilityDifference(float[] logits, int positions, JsonNode next) {
        assertEquals(positions, next.size(), "one distribution per prompt position");
        int vocab = logits.length / positions;
        double max = 0;
        for (int pos = 0; pos < positions; pos++) {
            double[] theirs = new double[vocab];
            for (JsonNode pair : next.get(pos)) theirs[pair.get(0).asInt()] = pair.get(1).asDouble();
            double top = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < vocab; v++) top = Math.max(top, logits[pos * vocab + v]);
            for (int v = 0; v < vocab; v++) sum += Math.exp(logits[pos * vocab + v] - top);
            for (int v = 0; v < vocab; v++) max = Math.max(max, Math.abs(Math.exp(logits[pos * vocab + v] - top) / sum - theirs[v]));
        }
        return max;
    }

    /**
     * An F32 file against the Hugging Face folder's forward; a quantised one against our forward of
     * the weights as the file stores them (GgufBack), since llama.cpp computes with those.
     */
    private void decodesLikeLlamaCpp(String family, TinyBpe.Pre pre, GgmlType dtype, double probabilityTolerance) throws Exception {
        Path model = GgufExportTest.tinyModel(dir.resolve(family + "-" + dtype), family, pre, 21);
        Path gguf = GgufExportTest.export(model, dir.resolve(family + "-" + dtype + ".gguf"), dtype);
        int[] prompt = GgufExportTest.PROMPT;
        List<Integer> ours, tokens;
        float[] logits;
        try (PretrainedModel m = ModelLoader.load(model.toString()); GgufFile f = GgufFile.open(gguf);
             HfTokenizer tok = HfTokenizer.load(model.resolve("tokenizer.json"))) {
            Transformer t = dtype == GgmlType.F32 ? m.model() : GgufBack.load(f);
            ours = greedy(t, prompt, GENERATE);
            logits = t.logits(TokenBatch.of(prompt, 1, prompt.length)).data();
            tokens = Arrays.stream(tok.encode(TEXT, 1000).ids()).boxed().toList();
        }
        JsonNode theirs = llamaCpp(gguf, prompt, TEXT);
        List<Integer> generated = new ArrayList<>(), tokenized = new ArrayList<>();
        theirs.path("generated").forEach(n -> generated.add(n.asInt()));
        theirs.path("tokenized").forEach(n -> tokenized.add(n.asInt()));
        double maxDiff = maxProbabilityDifference(logits, prompt.length, theirs.path("next"));
        System.out.printf("LLAMA.CPP %s (%s, %s): greedy ours %s, llama.cpp %s; next-token probabilities at %d prompt positions differ by at most %.2e%n",
                theirs.path("llama_cpp").asText(), family, dtype, ours, generated, prompt.length, maxDiff);
        assertEquals(ours, generated, family + ": llama.cpp's greedy tokens");
        assertTrue(maxDiff < probabilityTolerance, family + ": next-token probabilities differ by " + maxDiff);
        assertEquals(tokens, tokenized, family + ": llama.cpp tokenizes '" + TEXT + "' as the Hugging Face tokenizer does");
    }

    @Test
    void llamaCppDecodesAnExportedLlamaAsWeDo() throws Exception {
        decodesLikeLlamaCpp("llama", TinyBpe.Pre.SMOLLM, GgmlType.F32, 1e-5);
    }

    @Test
    void llamaCppDecodesAnExportedQwen2AsWeDo() throws Exception {
        decodesLikeLlamaCpp("qwen2", TinyBpe.Pre.QWEN2, GgmlType.F32, 1e-5);
    }

    @Test
    void llamaCppDecodesAnExportedLlama3WithRopeFreqsAsWeDo() throws Exception {
        decodesLikeLlamaCpp("llama3", TinyBpe.Pre.LLAMA3, GgmlType.F32, 1e-5);
    }

    /** llama.cpp also rounds the activations to 8 bits in a Q8_0 product, so the probabilities agree less closely. */
    @Test
    void llamaCppDecodesQ8_0FilesAsWeDoWithTheirWeights() throws Exception {
        decodesLikeLlamaCpp("llama", TinyBpe.Pre.SMOLLM, GgmlType.Q8_0, 0.05);
        decodesLikeLlamaCpp("qwen2", TinyBpe.Pre.QWEN2, GgmlType.Q8_0, 0.05);
    }
}
