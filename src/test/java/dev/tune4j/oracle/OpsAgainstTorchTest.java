package dev.tune4j.oracle;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static dev.tune4j.oracle.Close.assertClose;
import static dev.tune4j.oracle.Close.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The oracle's hand-written building blocks against libtorch's own fused versions (values and,
 * for attention, gradients), plus hand-worked RoPE and llama3-frequency cases.
 */
class OpsAgainstTorchTest {
    private final Random rng = new Random(7);

    private Tensor randn(int... shape) {
        return Torch.ofDoubles(gaussian(rng, Math.toIntExact(Torch.numel(shape)), 1), shape);
    }

    @Test
    void rmsNormMatchesTorchRmsNorm() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = randn(2, 5, 13), w = randn(13);
            Tensor expected = torch.rms_norm(x, new long[]{13}, new TensorOptional(w), new DoubleOptional(1e-5));
            assertClose("rmsNorm", Torch.toDoubles(expected), Torch.toDoubles(Ops.rmsNorm(x, w, 1e-5)), 1e-12);
        }
    }

    @Test
    void layerNormMatchesTorchLayerNorm() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = randn(2, 5, 13), w = randn(13), b = randn(13);
            Tensor expected = torch.layer_norm(x, new long[]{13}, new TensorOptional(w), new TensorOptional(b), 1e-12, false);
            assertClose("layerNorm", Torch.toDoubles(expected), Torch.toDoubles(Ops.layerNorm(x, w, b, 1e-12)), 1e-12);
        }
    }

    @Test
    void activationsMatchTorchGeluAndSilu() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Torch.ofDoubles(gaussian(rng, 101, 3), 101);
            assertClose("gelu tanh", Torch.toDoubles(torch.gelu(x, "tanh")), Torch.toDoubles(Ops.geluTanh(x)), 1e-14);
            assertClose("gelu erf", Torch.toDoubles(torch.gelu(x, "none")), Torch.toDoubles(Ops.geluErf(x)), 1e-14);
            assertClose("silu", Torch.toDoubles(torch.silu(x)), Torch.toDoubles(Ops.silu(x)), 1e-14);
            // The two GELUs really are different functions, so picking the wrong one is visible.
            assertTrue(Close.maxAbsDiff(Torch.toFloats(Ops.geluTanh(x)), Torch.toFloats(Ops.geluErf(x))) > 1e-4);
        }
    }

    @Test
    void causalGroupedQueryAttentionMatchesScaledDotProductAttention() {
        // 4 query heads over 2 kv heads, T = 7, head size 6: torch's enable_gqa pairing and is_causal.
        compareWithSdpa(4, 2, 7, 6, true, null);
    }

    @Test
    void paddedAttentionMatchesScaledDotProductAttentionWithAFloatMask() {
        int[][] mask = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}};
        compareWithSdpa(3, 3, 5, 4, false, mask);
    }

    private void compareWithSdpa(int heads, int kvHeads, int t, int hd, boolean causal, int[][] padding) {
        try (PointerScope scope = new PointerScope()) {
            int b = 2;
            double[] qv = gaussian(rng, b * heads * t * hd, 1), kv = gaussian(rng, b * kvHeads * t * hd, 1),
                    vv = gaussian(rng, b * kvHeads * t * hd, 1), up = gaussian(rng, b * heads * t * hd, 1);
            Tensor upstream = Torch.ofDoubles(up, b, heads, t, hd);
            Tensor mask = causal ? Ops.causalMask(t, 0) : Ops.paddingMask(padding);
            double scale = 1 / Math.sqrt(hd);

            Tensor[] mine = leaves(qv, kv, vv, b, heads, kvHeads, t, hd);
            Tensor out = Ops.attention(mine[0], mine[1], mine[2], mask, scale);
            out.mul(upstream).sum().backward();

            Tensor[] ref = leaves(qv, kv, vv, b, heads, kvHeads, t, hd);
            Tensor expected = torch.scaled_dot_product_attention(ref[0], ref[1], ref[2],
                    causal ? new TensorOptional() : new TensorOptional(mask), 0.0, causal, new DoubleOptional(scale), heads != kvHeads);
            expected.mul(upstream).sum().backward();

            assertClose("attention out", Torch.toDoubles(expected), Torch.toDoubles(out), 1e-12);
            String[] names = {"dq", "dk", "dv"};
            for (int i = 0; i < 3; i++) {
                assertClose("attention " + names[i], Torch.toDoubles(ref[i].grad()), Torch.toDoubles(mine[i].grad()), 1e-12);
            }
        }
    }

    private static Tensor[] leaves(double[] q, double[] k, double[] v, int b, int heads, int kvHeads, int t, int hd) {
        return new Tensor[]{
                Torch.ofDoubles(q, b, heads, t, hd).set_requires_grad(true),
                Torch.ofDoubles(k, b, kvHeads, t, hd).set_requires_grad(true),
                Torch.ofDoubles(v, b, kvHeads, t, hd).set_requires_grad(true)};
    }

    @Test
    void slidingWindowHidesKeysAtWindowDistanceAndBeyond() {
        try (PointerScope scope = new PointerScope()) {
            double[] m = Torch.toDoubles(Ops.causalMask(5, 2));
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 5; j++) {
                    boolean visible = j == i || j == i - 1;
                    assertEquals(visible ? 0 : Ops.MASKED, m[i * 5 + j], "mask[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void crossEntropyMatchesTorchWithIgnoreIndex() {
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = randn(6, 11);
            Tensor targets = Torch.ids(new int[][]{{3, -100, 0, 10, -100, 7}}, "targets").reshape(-1);
            Tensor expected = torch.cross_entropy_loss(logits, targets, new TensorOptional(), torch.Reduction.Mean.value, -100, 0.0);
            assertEquals(expected.item_double(), Ops.crossEntropy(logits, targets, null).item_double(), 1e-13);
        }
    }

    @Test
    void classWeightedCrossEntropyMatchesTorchInValueAndGradient() {
        try (PointerScope scope = new PointerScope()) {
            double[] z = gaussian(rng, 6 * 5, 2);
            Tensor targets = Torch.ids(new int[][]{{3, -100, 0, 4, 3, 1}}, "targets").reshape(-1);
            Tensor weight = Torch.ofDoubles(new double[]{0.5, 2, 7, 0.25, 1.5}, 5);
            Tensor mine = Torch.ofDoubles(z, 6, 5).set_requires_grad(true), ref = Torch.ofDoubles(z, 6, 5).set_requires_grad(true);
            Tensor a = Ops.crossEntropy(mine, targets, weight), b = torch.cross_entropy_loss(ref, targets, new TensorOptional(weight),
                    torch.Reduction.Mean.value, -100, 0.0);
            a.backward();
            b.backward();
            assertEquals(b.item_double(), a.item_double(), 1e-13);
            assertClose("weighted cross-entropy gradient", Torch.toDoubles(ref.grad()), Torch.toDoubles(mine.grad()), 1e-14);
            // and the weights matter
            assertTrue(Math.abs(a.item_double() - Ops.crossEntropy(mine, targets, null).item_double()) > 1e-2);
        }
    }

    @Test
    void lastTokenTakesEachRowsLastRealPosition() {
        try (PointerScope scope = new PointerScope()) {
            Tensor h = Torch.ofDoubles(new double[]{
                    1, 2, 3, 4, 5, 6,
                    7, 8, 9, 10, 11, 12}, 2, 3, 2);
            assertClose("last token", new double[]{3, 4, 11, 12}, Torch.toDoubles(Ops.lastToken(h, new int[]{2, 3})), 0);
        }
    }

    @Test
    void ropeRotatesEachHalfPairByPositionTimesFrequency() {
        try (PointerScope scope = new PointerScope()) {
            // head size 4, theta 100: frequencies 1 and 100^-1/2 = 0.1. Element i pairs with i + 2.
            double[] inv = {1, 0.1};
            Tensor[] cs = Ops.ropeTables(inv, 3);
            Tensor x = Torch.ofDoubles(new double[]{
                    1, 2, 3, 4,
                    1, 2, 3, 4,
                    1, 2, 3, 4}, 1, 1, 3, 4);
            double[] y = Torch.toDoubles(Ops.applyRope(x, cs[0], cs[1]));
            for (int p = 0; p < 3; p++) {
                double a0 = p * 1.0, a1 = p * 0.1;
                double[] expected = {
                        1 * Math.cos(a0) - 3 * Math.sin(a0),
                        2 * Math.cos(a1) - 4 * Math.sin(a1),
                        3 * Math.cos(a0) + 1 * Math.sin(a0),
                        4 * Math.cos(a1) + 2 * Math.sin(a1)};
                for (int i = 0; i < 4; i++) assertEquals(expected[i], y[p * 4 + i], 1e-14, "position " + p + " element " + i);
            }
        }
    }

    @Test
    void ropeScoresDependOnlyOnRelativePosition() {
        try (PointerScope scope = new PointerScope()) {
            double[] inv = Rope.inverseFrequencies(Map.of("hidden_size", 16, "num_attention_heads", 2, "rope_theta", 10000.0));
            int t = 6;
            Tensor[] cs = Ops.ropeTables(inv, t);
            double[] qv = gaussian(rng, 8, 1), kv = gaussian(rng, 8, 1);
            double[] qs = new double[t * 8], ks = new double[t * 8];
            for (int p = 0; p < t; p++) {
                System.arraycopy(qv, 0, qs, p * 8, 8);
                System.arraycopy(kv, 0, ks, p * 8, 8);
            }
            Tensor q = Ops.applyRope(Torch.ofDoubles(qs, 1, 1, t, 8), cs[0], cs[1]);
            Tensor k = Ops.applyRope(Torch.ofDoubles(ks, 1, 1, t, 8), cs[0], cs[1]);
            double[] s = Torch.toDoubles(q.matmul(k.transpose(2, 3)));
            // score(i, j) for the same q and k vectors depends on i - j only.
            for (int i = 1; i < t; i++) {
                for (int j = 1; j < t; j++) assertEquals(s[(i - 1) * t + (j - 1)], s[i * t + j], 1e-12, "score " + i + "," + j);
            }
            // and not trivially: different offsets give different scores.
            assertTrue(Math.abs(s[0] - s[1]) > 1e-3);
        }
    }

    @Test
    void defaultInverseFrequenciesFollowThetaAndHeadDim() {
        double[] inv = Rope.inverseFrequencies(Map.of("hidden_size", 64, "num_attention_heads", 4, "head_dim", 8, "rope_theta", 10000.0));
        assertEquals(4, inv.length);
        assertEquals(1.0, inv[0], 0);
        assertEquals(0.1, inv[1], 1e-16);
        assertEquals(0.01, inv[2], 1e-17);
        assertEquals(0.001, inv[3], 1e-18);
        double[] linear = Rope.inverseFrequencies(Map.of("hidden_size", 8, "num_attention_heads", 1, "rope_theta", 10000.0,
                "rope_scaling", Map.of("type", "linear", "factor", 4.0)));
        assertEquals(0.025, linear[1], 1e-17);
    }

    @Test
    void llama3InverseFrequenciesAtKnownIndices() {
        // Llama 3.1 8B: head_dim 128, theta 5e5, factor 8, low/high freq factors 1/4, original context 8192.
        Map<String, Object> cfg = Map.of("hidden_size", 4096, "num_attention_heads", 32, "rope_theta", 500000.0,
                "rope_scaling", Map.of("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0,
                        "high_freq_factor", 4.0, "original_max_position_embeddings", 8192));
        double[] inv = Rope.inverseFrequencies(cfg);
        assertEquals(64, inv.length);
        // wavelength < 2048: kept.
        assertEquals(1.0, inv[0], 0);
        assertEquals(0.12868737343265052, inv[10], 1e-15);
        assertEquals(0.005940730375674967, inv[25], 1e-17);
        // 2048 <= wavelength <= 8192 (indices 29..34): blended; index 30 has smooth factor 0.59285.
        assertEquals(0.0013718935677611381, inv[30], 1e-17);
        // wavelength > 8192: divided by 8.
        assertEquals(0.0002742481756762073 / 8, inv[40], 1e-19);
        assertEquals(2.455140791131609e-06 / 8, inv[63], 1e-21);
    }

    @Test
    void poolingAndNormalisationFollowTheirDefinitions() {
        try (PointerScope scope = new PointerScope()) {
            Tensor h = Torch.ofDoubles(new double[]{
                    1, 2, 3, 4, 100, 100,
                    5, 6, 7, 8, 9, 10}, 2, 3, 2);
            Tensor mask = Torch.ofDoubles(new double[]{1, 1, 0, 1, 1, 1}, 2, 3);
            assertClose("mean", new double[]{2, 3, 7, 8}, Torch.toDoubles(Ops.meanPool(h, mask)), 1e-15);
            assertClose("cls", new double[]{1, 2, 5, 6}, Torch.toDoubles(Ops.clsPool(h)), 0);
            assertClose("l2", new double[]{0.6, 0.8}, Torch.toDoubles(Ops.l2Normalize(Torch.ofDoubles(new double[]{3, 4}, 1, 2))), 1e-15);
        }
    }
}
