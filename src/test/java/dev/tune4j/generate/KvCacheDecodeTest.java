package dev.tune4j.generate;

import dev.tune4j.autograd.ops.LastTokenPoolOp;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.KvCache;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.parity.Parity;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding with the cache runs the training forward on new tokens only; it must equal recomputing
 * the whole prefix each step: the same greedy tokens, and the last position's logits to 1e-5, on a
 * Llama (GQA, RoPE), a Llama 3 (rope scaling, one KV head) and GPT-2 (learned positions, fused QKV).
 */
class KvCacheDecodeTest {
    @TempDir
    Path dir;

    private Transformer model(String family) throws Exception {
        Path folder = java.nio.file.Files.createDirectories(dir.resolve(family));
        // a larger init scale than a trained model's keeps greedy choices far from ties
        Parity.writeHfFolder(RandomCheckpoints.build(family, Map.of("initializer_range", 0.2), 3), folder);
        PretrainedModel m = ModelLoader.load(folder.toString());
        return m.model();
    }

    /** Logits [V] of the last position of ids, computed from scratch. */
    private static float[] recompute(Transformer model, int[] ids) {
        var hidden = model.hidden(TokenBatch.of(ids, 1, ids.length));
        return model.logits(LastTokenPoolOp.apply(hidden, null)).value().toHeap().data();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3", "gpt2"})
    void cachedGreedyDecodingEqualsRecomputingThePrefix(String family) throws Exception {
        Transformer model = model(family);
        int vocab = model.config.vocabSize;
        int[] prompt = {5, 17, 3, 42, 8, 11, 29};
        int steps = 24;

        // with the cache, step by step, comparing each step's logits with a full recompute
        KvCache cache = new KvCache(model.config, 1, prompt.length + steps);
        int[] ids = prompt.clone();
        float[] cached = model.logits(LastTokenPoolOp.apply(model.hidden(TokenBatch.of(prompt, 1, prompt.length), cache), null)).value().data();
        double worst = 0;
        for (int s = 0; s < steps; s++) {
            float[] full = recompute(model, ids);
            for (int v = 0; v < vocab; v++) worst = Math.max(worst, Math.abs(full[v] - cached[v]));
            int next = TokenSampler.argmax(full, 0, vocab);
            assertEquals(next, TokenSampler.argmax(cached, 0, vocab), family + ": step " + s + " picks a different token");
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = next;
            cached = model.logits(LastTokenPoolOp.apply(model.hidden(TokenBatch.of(new int[] {next}, 1, 1), cache), null)).value().data();
        }
        System.out.printf("KV cache %s: %d steps, max |logit difference| %.2e%n", family, steps, worst);
        assertTrue(worst < 1e-5, family + ": cached and recomputed logits differ by " + worst);

        // the Generator gives the same tokens
        Generator.Result r = new Generator(model, null, Set.of()).generate(prompt, Sampling.GREEDY.withMaxNewTokens(steps));
        assertArrayEquals(Arrays.copyOfRange(ids, prompt.length, ids.length), r.ids(), family + ": Generator tokens");
        assertEquals(Generator.Finish.LENGTH, r.finish());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void leftPaddedPromptsDecodeAsIfAlone(String family) throws Exception {
        Transformer model = model(family);
        int[] a = {5, 17, 3, 42, 8, 11, 29}, b = {9, 2, 33};
        Sampling greedy = Sampling.GREEDY.withMaxNewTokens(10);
        Generator g = new Generator(model, null, Set.of());
        List<Generator.Result> together = g.generate(List.of(a, b), greedy, null);
        assertArrayEquals(g.generate(a, greedy).ids(), together.get(0).ids(), family + ": first prompt");
        assertArrayEquals(g.generate(b, greedy).ids(), together.get(1).ids(), family + ": second (left-padded) prompt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void aStopTokenEndsTheSequenceAndIsKept(String family) throws Exception {
        Transformer model = model(family);
        int[] prompt = {5, 17, 3, 42};
        int[] free = new Generator(model, null, Set.of()).generate(prompt, Sampling.GREEDY.withMaxNewTokens(8)).ids();
        Generator.Result r = new Generator(model, null, Set.of(free[2])).generate(prompt, Sampling.GREEDY.withMaxNewTokens(8));
        int firstStop = 0;
        while (free[firstStop] != free[2]) firstStop++;
        assertArrayEquals(Arrays.copyOf(free, firstStop + 1), r.ids());
        assertEquals(Generator.Finish.EOS, r.finish());
    }
}
