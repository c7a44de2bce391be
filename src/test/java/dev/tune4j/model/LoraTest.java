package dev.tune4j.model;

import dev.tune4j.autograd.GradCheck;
import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.model.bert.BertClassifier;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Lora#inject}: which Hugging Face modules get adapters, what is frozen, and what the model then computes. */
class LoraTest {
    @TempDir
    Path dir;

    private static Set<String> names(Map<String, ?> m) {
        return new TreeSet<>(m.keySet());
    }

    @Test
    void llamaDefaultsAdaptEveryProjectionAndFreezeEverythingElse() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.folder(dir, "llama", Map.of(), 1))) {
            long before = m.module().parameterCount();
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 8));
            assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), a.config().targetModules());
            assertEquals(14, a.targets().size(), "7 projections in each of 2 layers");
            assertEquals(new LoraAdapters.Target("model.layers.0.self_attn.q_proj", List.of("layers.0.attn.q"), false), a.targets().getFirst());
            assertFalse(a.fanInFanOut());

            Map<String, Parameter> params = m.module().namedParameters();
            assertArrayEquals(new int[] {4, 64}, params.get("layers.0.attn.q.lora_A").shape());
            assertArrayEquals(new int[] {2 * 16, 4}, params.get("layers.0.attn.k.lora_B").shape(), "GQA: k has 2 kv heads of 16");
            assertArrayEquals(new int[] {4, 90}, params.get("layers.1.mlp.down.lora_A").shape());
            Set<Parameter> trainable = Set.copyOf(m.module().trainableParameters());
            assertEquals(Set.copyOf(a.parameters()), trainable, "only the adapters train");
            assertEquals(28, trainable.size());
            long adapterElements = trainable.stream().mapToLong(p -> p.value().numel()).sum();
            assertEquals(before + adapterElements, m.module().parameterCount());

            Map<String, Tensor> state = a.stateDict();
            assertEquals(28, state.size());
            assertArrayEquals(new int[] {4, 64}, state.get("model.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new int[] {64, 4}, state.get("model.layers.1.self_attn.o_proj.lora_B.weight").shape());
            assertArrayEquals(new int[] {90, 4}, state.get("model.layers.1.mlp.up_proj.lora_B.weight").shape());
        }
    }

    @Test
    void freshAdaptersLeaveTheLogitsBitIdenticalOnBothForwardPaths() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.folder(dir, "llama3", Map.of(), 2))) {
            TokenBatch batch = LoraFixtures.tokens(2, 7, 103, 3);
            float[] base = LoraFixtures.logits(m, batch);
            float[] baseTaped = tapedLogits(m, batch);
            Lora.inject(m, LoraConfig.of(8, 16).withDropout(0.1));
            assertArrayEquals(base, LoraFixtures.logits(m, batch), "inference path, B = 0");
            assertArrayEquals(baseTaped, tapedLogits(m, batch), "op path under a tape, B = 0");
        }
    }

    private static float[] tapedLogits(PretrainedModel m, TokenBatch batch) {
        try (Tape tape = Tape.record()) {
            return m.model().logits(batch).data().clone();
        }
    }

    @Test
    void theInferencePathAddsTheAdapterExactlyAsTheOpPathDoes() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.folder(dir, "gpt2", Map.of(), 4))) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 4));
            LoraFixtures.randomise(a, 5);
            TokenBatch batch = LoraFixtures.tokens(2, 6, 101, 6);
            float[] inference = LoraFixtures.logits(m, batch);
            assertArrayEquals(tapedLogits(m, batch), inference);
            a.setEnabled(false);
            assertFalse(java.util.Arrays.equals(inference, LoraFixtures.logits(m, batch)), "the adapters changed the logits");
        }
    }

    @Test
    void gpt2FusedCAttnGetsOneAdapterWithASharedAAndItsBSplitInThree() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.folder(dir, "gpt2", Map.of(), 7))) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 8).withTargetModules(List.of("c_attn", "c_proj")));
            assertTrue(a.fanInFanOut(), "Conv1D targets: PEFT sets fan_in_fan_out");
            assertEquals(6, a.targets().size(), "c_attn, attn.c_proj and mlp.c_proj in 2 layers");
            assertEquals(new LoraAdapters.Target("transformer.h.0.attn.c_attn", List.of("layers.0.attn.q", "layers.0.attn.k", "layers.0.attn.v"), true),
                    a.targets().getFirst());
            assertEquals(List.of("transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_proj"),
                    a.targets().subList(0, 3).stream().map(LoraAdapters.Target::module).toList());

            Transformer t = m.model();
            Linear q = t.layers.getFirst().attn.q, k = t.layers.getFirst().attn.k, v = t.layers.getFirst().attn.v;
            assertSame(q.adapter().a(), k.adapter().a());
            assertSame(q.adapter().a(), v.adapter().a());
            Map<String, Parameter> params = m.module().namedParameters();
            assertTrue(params.containsKey("layers.0.attn.q.lora_A"));
            assertFalse(params.containsKey("layers.0.attn.k.lora_A"), "the shared A is registered once");
            assertTrue(params.containsKey("layers.0.attn.k.lora_B") && params.containsKey("layers.0.attn.v.lora_B"));
            assertEquals(2 * (4 + 2 + 2), a.parameters().size(), "per layer: A and 3 B's for c_attn, A and B for each c_proj");

            LoraFixtures.randomise(a, 8);
            Map<String, Tensor> state = a.stateDict();
            assertArrayEquals(new int[] {4, 48}, state.get("transformer.h.0.attn.c_attn.lora_A.weight").shape());
            Tensor fusedB = state.get("transformer.h.0.attn.c_attn.lora_B.weight");
            assertArrayEquals(new int[] {3 * 48, 4}, fusedB.shape());
            float[] expected = new float[3 * 48 * 4];
            System.arraycopy(q.adapter().b.data(), 0, expected, 0, 48 * 4);
            System.arraycopy(k.adapter().b.data(), 0, expected, 48 * 4, 48 * 4);
            System.arraycopy(v.adapter().b.data(), 0, expected, 2 * 48 * 4, 48 * 4);
            assertArrayEquals(expected, fusedB.data(), "B rows: q, then k, then v, as c_attn's output columns");
            assertArrayEquals(new int[] {4, 192}, state.get("transformer.h.1.mlp.c_proj.lora_A.weight").shape(), "c_proj in = n_inner = 4*48");
        }
    }

    @Test
    void bertClassifierAdaptsEncoderAndPoolerUnderBertAndTrainsTheClassifierInFull() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.bertClassifier(dir, 9))) {
            BertClassifier c = (BertClassifier) m.classifier();
            Tensor originalHead = c.classifier.weight.value();
            LoraAdapters a = Lora.inject(m, LoraConfig.of(2, 4));
            assertEquals(List.of("classifier"), a.config().modulesToSave(), "a sequence classifier saves its head by default");
            List<String> modules = a.targets().stream().map(LoraAdapters.Target::module).toList();
            assertEquals("bert.encoder.layer.0.attention.self.query", modules.getFirst());
            assertTrue(modules.contains("bert.encoder.layer.1.attention.output.dense"));
            assertTrue(modules.contains("bert.encoder.layer.1.intermediate.dense"));
            assertTrue(modules.contains("bert.pooler.dense"), "'dense' also names the pooler, as in PEFT");
            assertEquals(2 * 6 + 1, modules.size());

            assertFalse(c.classifier.weight.frozen());
            assertFalse(c.classifier.bias.frozen());
            assertNotSame(originalHead, c.classifier.weight.value(), "the head trains on a copy");
            assertTrue(c.pooler.weight.frozen());
            Set<String> state = names(a.stateDict());
            assertTrue(state.contains("classifier.weight") && state.contains("classifier.bias"));
            assertTrue(state.contains("bert.pooler.dense.lora_A.weight"));
        }
    }

    @Test
    void modulesToSaveAreNeverAdapted() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.bertClassifier(dir, 10))) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(2, 4).withTargetModules(List.of("dense", "classifier")).withModulesToSave(List.of("pooler", "classifier")));
            List<String> modules = a.targets().stream().map(LoraAdapters.Target::module).toList();
            assertFalse(modules.contains("bert.pooler.dense"));
            assertFalse(modules.contains("classifier"));
            assertEquals(3 * 2, modules.size());
            BertClassifier c = (BertClassifier) m.classifier();
            assertNull(c.pooler.adapter());
            assertFalse(c.pooler.weight.frozen());
            assertEquals(Set.of("bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"),
                    names(a.stateDict()).stream().filter(n -> !n.contains("lora_")).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void aRegexMustMatchWholePathsAndAllLinearSkipsTheOutputHead() throws Exception {
        Path folder = LoraFixtures.folder(dir, "llama3", Map.of(), 11);
        try (PretrainedModel m = LoraFixtures.load(folder)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(2, 2).withTargetRegex("model\\.layers\\.1\\.self_attn\\.(q|v)_proj"));
            assertEquals(List.of("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"),
                    a.targets().stream().map(LoraAdapters.Target::module).toList());
            assertEquals("model\\.layers\\.1\\.self_attn\\.(q|v)_proj", a.config().targetRegex());
        }
        try (PretrainedModel m = LoraFixtures.load(folder)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(2, 2).withTargetRegex("all-linear"));
            assertEquals(14, a.targets().size(), "every projection, not lm_head");
            assertNull(a.config().targetRegex(), "PEFT writes the module names it found");
            assertEquals(14, a.config().targetModules().size());
            assertNull(m.model().lmHead.adapter());
        }
    }

    @Test
    void targetsThatMatchNothingOrTheWrongKindOfModuleAreNamedInTheError() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.folder(dir, "llama3", Map.of(), 12))) {
            String e = assertThrows(IllegalArgumentException.class, () -> Lora.inject(m, LoraConfig.of(2, 2).withTargetModules(List.of("q_proj", "query")))).getMessage();
            assertTrue(e.contains("'query'") && e.contains("q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj"), e);
            assertFalse(e.contains("lm_head"), "the LM head is not offered: " + e);
            e = assertThrows(IllegalArgumentException.class, () -> Lora.inject(m, LoraConfig.of(2, 2).withTargetModules(List.of("embed_tokens")))).getMessage();
            assertTrue(e.contains("model.embed_tokens") && e.contains("not a Linear"), e);
            e = assertThrows(IllegalArgumentException.class, () -> Lora.inject(m, LoraConfig.of(2, 2).withTargetModules(List.of("lm_head")))).getMessage();
            assertTrue(e.contains("LM head"), e);
            e = assertThrows(IllegalArgumentException.class, () -> Lora.inject(m, LoraConfig.of(2, 2).withTargetRegex(".*attn"))).getMessage();
            assertTrue(e.contains("'.*attn'"), e);
            e = assertThrows(IllegalArgumentException.class, () -> Lora.inject(m, LoraConfig.of(2, 2).withModulesToSave(List.of("score")))).getMessage();
            assertTrue(e.contains("'score'") && e.contains("lm_head"), e);
            assertEquals(m.module().parameters().size(), m.module().trainableParameters().size(), "a refused injection freezes nothing");
            assertTrue(m.module().namedParameters().keySet().stream().noneMatch(n -> n.contains("lora")));
        }
    }

    @Test
    void disablingGivesTheBaseModelBackIncludingTheSavedHead() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.bertClassifier(dir, 13))) {
            TokenBatch batch = LoraFixtures.tokens(3, 5, 40, 14);
            float[] base = LoraFixtures.logits(m, batch);
            LoraAdapters a = Lora.inject(m, LoraConfig.of(2, 4));
            LoraFixtures.randomise(a, 15);
            float[] adapted = LoraFixtures.logits(m, batch);
            assertFalse(java.util.Arrays.equals(base, adapted));
            a.setEnabled(false);
            assertArrayEquals(base, LoraFixtures.logits(m, batch), "adapters off and the original head");
            Map<String, Tensor> whileOff = a.stateDict();
            a.setEnabled(true);
            assertArrayEquals(adapted, LoraFixtures.logits(m, batch));
            assertArrayEquals(a.stateDict().get("classifier.weight").data(), whileOff.get("classifier.weight").data(),
                    "the state dict holds the trained head either way");
        }
    }

    @Test
    void mergingMatchesTheAdaptedModelAndUnmergingRestoresEveryOriginalTensor() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.folder(dir, "gpt2", Map.of(), 16))) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 8));
            LoraFixtures.randomise(a, 17);
            TokenBatch batch = LoraFixtures.tokens(2, 9, 101, 18);
            float[] adapted = LoraFixtures.logits(m, batch);
            Map<String, Tensor> before = new HashMap<>();
            for (var e : m.module().namedParameters().entrySet()) before.put(e.getKey(), e.getValue().value());
            a.merge();
            assertFalse(m.model().layers.getFirst().attn.q.weight.value() == before.get("layers.0.attn.q.weight"));
            float[] merged = LoraFixtures.logits(m, batch);
            for (int i = 0; i < adapted.length; i++) assertEquals(adapted[i], merged[i], 1e-4 * (1 + Math.abs(adapted[i])));
            a.unmerge();
            for (var e : m.module().namedParameters().entrySet()) assertSame(before.get(e.getKey()), e.getValue().value(), e.getKey());
            assertArrayEquals(adapted, LoraFixtures.logits(m, batch));
        }
    }

    @Test
    void loraAndHeadGradientsThroughTheWholeClassifierMatchFiniteDifferences() throws Exception {
        try (PretrainedModel m = LoraFixtures.load(LoraFixtures.bertClassifier(dir, 19))) {
            BertClassifier c = (BertClassifier) m.classifier();
            LoraAdapters a = Lora.inject(m, LoraConfig.of(2, 4).withTargetModules(List.of("query", "value")));
            LoraFixtures.randomise(a, 20);
            TokenBatch batch = LoraFixtures.tokens(2, 5, 40, 21);
            Linear query = c.encoder.layers.getFirst().attn.q, value = c.encoder.layers.get(1).attn.v;
            List<Var> probed = List.of(query.adapter().a(), query.adapter().b, value.adapter().a(), value.adapter().b, c.classifier.weight, c.classifier.bias);
            // Finite differences evaluate without a tape: through the inference path, adapters included.
            GradCheck.check("BERT classifier LoRA + head", probed, v -> c.logits(batch), 1e-2, 2e-3, 60);
            assertNull(query.weight.grad(), "frozen base");
        }
    }
}
