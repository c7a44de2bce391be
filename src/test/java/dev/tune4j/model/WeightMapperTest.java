package dev.tune4j.model;

import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class WeightMapperTest {

    @Test
    void fusedConv1dWeightSplitsIntoTransposedLinearWeightsAndBack() {
        // GPT-2 c_attn: [in=2, 3*out=6]; q/k/v each [out=2, in=2] with W_q[o][i] = fused[i][o]
        float[] fused = {0, 1, 2, 3, 4, 5,
                         10, 11, 12, 13, 14, 15};
        WeightRule rule = new WeightRule("c_attn.weight", List.of("q", "k", "v"), WeightRule.Layout.SPLIT_TRANSPOSED);
        List<Tensor> parts = WeightMapper.toEngine(Tensor.of(fused, 2, 6), rule, 3);
        assertArrayEquals(new float[] {0, 10, 1, 11}, parts.get(0).data());
        assertArrayEquals(new float[] {2, 12, 3, 13}, parts.get(1).data());
        assertArrayEquals(new float[] {4, 14, 5, 15}, parts.get(2).data());
        assertArrayEquals(fused, WeightMapper.toCheckpoint(parts, rule).data());
        assertArrayEquals(new int[] {2, 6}, WeightMapper.toCheckpoint(parts, rule).shape());
    }

    @Test
    void fusedBiasSplitsInOrderAndBack() {
        WeightRule rule = new WeightRule("b", List.of("q", "k", "v"), WeightRule.Layout.SPLIT);
        List<Tensor> parts = WeightMapper.toEngine(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 6), rule, 3);
        assertArrayEquals(new float[] {3, 4}, parts.get(1).data());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, WeightMapper.toCheckpoint(parts, rule).data());
    }

    @Test
    void transposedWeightIsTransposed() {
        WeightRule rule = WeightRule.transposed("w", "x");
        Tensor t = WeightMapper.toEngine(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), rule, 1).get(0);
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t.data());
    }
}
