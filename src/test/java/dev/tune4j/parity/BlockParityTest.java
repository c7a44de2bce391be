package dev.tune4j.parity;

import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.nn.Block;
import dev.tune4j.oracle.BertOracle;
import dev.tune4j.oracle.Checkpoint;
import dev.tune4j.oracle.Gpt2Oracle;
import dev.tune4j.oracle.LlamaOracle;
import dev.tune4j.oracle.OracleResult;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static dev.tune4j.parity.Parity.GRAD_TOL;
import static dev.tune4j.parity.Parity.OUT_TOL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One engine {@link Block} against the independent libtorch oracle on the same weights (random
 * checkpoints mapped through the family's real weight rules), the same hidden states and the same
 * upstream gradient W (loss = sum(out * W)): the output, the gradient of every block weight under
 * its Hugging Face name and layout, and the gradient of the input hidden states.
 */
class BlockParityTest {

    @Test
    void llamaBlockWithGroupedQueryAttentionAndRopeMatchesTheOracle() {
        // 4 query heads over 2 kv heads, RoPE, RMSNorm, SwiGLU with intermediate 90 (not a multiple of 8)
        Checkpoint ckpt = RandomCheckpoints.llama(101);
        check("llama", ckpt, 1, 2, 9, null, (x, shape, w) -> LlamaOracle.layer(ckpt, 1, x, shape, w));
    }

    @Test
    void gpt2BlockWithFusedTransposedConv1dWeightsMatchesTheOracle() {
        Checkpoint ckpt = RandomCheckpoints.gpt2(102);
        check("gpt2", ckpt, 1, 2, 11, null, (x, shape, w) -> Gpt2Oracle.layer(ckpt, 1, x, shape, w));
    }

    @Test
    void bertLayerWithPaddingMaskMatchesTheOracle() {
        Checkpoint ckpt = RandomCheckpoints.bert(103);
        int[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0, 0}};
        check("bert", ckpt, 0, 3, 8, mask, (x, shape, w) -> BertOracle.layer(ckpt, 0, x, shape, mask, w));
    }

    interface OracleCall {
        OracleResult run(float[] hidden, int[] shape, float[] upstream);
    }

    private static void check(String name, Checkpoint ckpt, int layer, int b, int t, int[][] mask, OracleCall oracle) {
        Parity.Engine e = Parity.fromMemory(ckpt);
        int h = e.model().config.hidden;
        Random rng = new Random(name.hashCode());
        float[] hidden = Parity.gaussian(rng, b * t * h, 1.0);
        float[] upstream = Parity.gaussian(rng, b * t * h, 1.0);
        int[] shape = {b, t, h};

        OracleResult ref = oracle.run(hidden, shape, upstream);

        Block block = e.model().layers.get(layer);
        int[] positions = new int[t];
        for (int i = 0; i < t; i++) positions[i] = i;
        AttentionMask attnMask = new AttentionMask(e.model().config.causal, mask);
        Var x = new Var(Tensor.of(hidden.clone(), shape), true);
        float[] out;
        try (Tape tape = Tape.record()) {
            Var y = block.forward(x, attnMask, positions, null);
            out = y.data().clone();
            System.arraycopy(upstream, 0, y.gradForAccumulation(), 0, upstream.length);
            tape.backwardFromSeededGrads();
        }
        assertArrayEquals(ref.outputShape(), shape);
        double outRel = Parity.rel(out, ref.output());

        // The block's weights only: the rules of this layer, read back in checkpoint layout.
        String prefix = switch (name) {
            case "llama" -> "model.layers." + layer + ".";
            case "gpt2" -> "transformer.h." + layer + ".";
            default -> "encoder.layer." + layer + ".";
        };
        Map<String, float[]> engineGrads = new LinkedHashMap<>();
        for (var g : Parity.hfGrads(e.model(), e.rules()).entrySet()) {
            if (g.getKey().startsWith(prefix)) engineGrads.put(g.getKey(), g.getValue());
        }
        Parity.Worst grads = Parity.compareGrads(ref.grads(), engineGrads, "block " + name);
        grads.add("input", x.grad().data(), ref.inputGrad());

        System.out.printf("PARITY block=%s out=%.3e maxGrad=%.3e (worst tensor %s)%n", name, outRel, grads.rel, grads.name);
        assertTrue(outRel <= OUT_TOL, "block " + name + ": output relative error " + outRel);
        grads.assertAtMost(GRAD_TOL, "block " + name + " gradients");
    }
}
