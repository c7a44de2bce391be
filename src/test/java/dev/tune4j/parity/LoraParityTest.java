package dev.tune4j.parity;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Tape;
import dev.tune4j.model.Lora;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.Gpt2Oracle;
import dev.tune4j.oracle.LlamaOracle;
import dev.tune4j.oracle.OracleResult;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.tensor.Tensor;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Objective;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import static dev.tune4j.parity.Parity.GRAD_TOL;
import static dev.tune4j.parity.Parity.OUT_TOL;
import static org.junit.jupiter.api.Assertions.*;

/**
 * LoRA against the libtorch oracle: the engine's adapters (injected by Hugging Face module names,
 * given random A and B) are exported in PEFT's naming, handed to the oracle beside the base
 * weights, and the logits, the causal-LM loss and the gradients of every lora_A and lora_B must
 * agree, while the frozen base receives no gradient. GPT-2's fused c_attn checks PEFT's one-A,
 * split-B maths on the engine's split q, k, v; rsLoRA checks the alpha / sqrt(r) scaling.
 */
class LoraParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3-rslora", "gpt2"})
    void logitsLossAndLoraGradientsMatchTheOracle(String variant, @TempDir Path dir) throws Exception {
        String family = variant.split("-")[0];
        boolean rslora = variant.endsWith("rslora");
        Checkpoint base = RandomCheckpoints.build(family, Map.of(), 300 + variant.length());
        Parity.writeHfFolder(base, dir);
        LoraConfig config = LoraConfig.of(4, 8).withRslora(rslora);
        if (variant.equals("llama3-rslora")) config = config.withTargetModules(List.of("q_proj", "v_proj", "down_proj"));

        try (PretrainedModel m = ModelLoader.load(dir.toString())) {
            LoraAdapters adapters = Lora.inject(m, config);
            SplittableRandom init = new SplittableRandom(variant.hashCode());
            for (Parameter p : adapters.parameters()) p.setValue(Tensor.randn(init, 0.3f, p.shape()));

            // The oracle sees the adapter exactly as PEFT would save it (names without "base_model.model.").
            Map<String, float[]> weights = new LinkedHashMap<>(base.weights());
            Map<String, int[]> shapes = new LinkedHashMap<>(base.shapes());
            for (var e : adapters.stateDict().entrySet()) {
                weights.put(e.getKey(), e.getValue().toHeap().data().clone());
                shapes.put(e.getKey(), e.getValue().shape());
            }
            Map<String, Object> cfg = new LinkedHashMap<>(base.config());
            cfg.put("lora_r", 4);
            cfg.put("lora_alpha", 8.0);
            cfg.put("use_rslora", rslora);
            Checkpoint withLora = new Checkpoint(cfg, weights, shapes);

            Random rng = new Random(variant.hashCode());
            int b = 2, t = 10, vocab = Parity.cfgInt(base, "vocab_size");
            int[][] ids = Parity.tokens(rng, b, t, vocab);
            int[][] targets = new int[b][t];
            for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) targets[i][j] = j + 1 < t ? ids[i][j + 1] : LmBatch.IGNORE;
            targets[1][4] = LmBatch.IGNORE;
            OracleResult ref = family.equals("gpt2") ? Gpt2Oracle.loss(withLora, ids, targets) : LlamaOracle.loss(withLora, ids, targets);

            TokenBatch tokens = TokenBatch.of(ids, null);
            double logitsRel = Parity.rel(m.model().logits(tokens).data(), ref.output());
            double loss;
            try (Tape tape = Tape.record()) {
                Objective.Loss l = new CausalLmObjective(m.model()).loss(new LmBatch(tokens, Parity.flat(targets)));
                loss = l.scalar();
                tape.backward(l.value());
            }
            for (Parameter p : m.module().parameters()) {
                if (p.frozen()) assertNull(p.grad(), p.name() + ": a frozen base weight gets no gradient");
            }
            Map<String, float[]> oracleLora = new LinkedHashMap<>(ref.grads());
            oracleLora.keySet().retainAll(adapters.stateDict().keySet());
            Parity.Worst grads = Parity.compareGrads(oracleLora, loraGrads(adapters), "lora " + variant);
            double lossRel = Math.abs(loss - ref.loss()) / Math.abs(ref.loss());

            System.out.printf("PARITY lora=%s logits=%.3e loss=%.3e maxGrad=%.3e (worst tensor %s, %d tensors)%n",
                    variant, logitsRel, lossRel, grads.rel, grads.name, oracleLora.size());
            assertEquals(adapters.stateDict().size(), oracleLora.size(), "the oracle used every adapter weight");
            assertTrue(logitsRel <= OUT_TOL, variant + ": logits relative error " + logitsRel);
            assertTrue(lossRel <= OUT_TOL, variant + ": loss " + loss + " vs oracle " + ref.loss());
            grads.assertAtMost(GRAD_TOL, variant + " LoRA gradients");
        }
    }

    /** The adapters' gradients under PEFT's names and layouts: each value swapped for its gradient while the state dict is read. */
    private static Map<String, float[]> loraGrads(LoraAdapters adapters) {
        Map<Parameter, Tensor> saved = new HashMap<>();
        for (Parameter p : adapters.parameters()) {
            saved.put(p, p.value());
            p.setValue(p.grad() != null ? p.grad().copy() : Tensor.zeros(p.shape()));
        }
        try {
            Map<String, float[]> out = new LinkedHashMap<>();
            adapters.stateDict().forEach((name, t) -> out.put(name, t.toHeap().data().clone()));
            return out;
        } finally {
            saved.forEach(Parameter::setValue);
        }
    }
}
