package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LrScheduleTest {
    static final double EPS = 1e-15;

    @Test
    void constantIsOneEverywhere() {
        LrSchedule s = LrSchedule.constant();
        assertEquals(1.0, s.multiplier(0));
        assertEquals(1.0, s.multiplier(1_000_000));
    }

    @Test
    void constantWithWarmupRampsLinearlyFromZero() {
        LrSchedule s = LrSchedule.constantWithWarmup(4);
        assertEquals(0.0, s.multiplier(0));
        assertEquals(0.25, s.multiplier(1));
        assertEquals(0.75, s.multiplier(3));
        assertEquals(1.0, s.multiplier(4));
        assertEquals(1.0, s.multiplier(100));
    }

    @Test
    void linearMatchesHuggingFaceValues() {
        // HF get_linear_schedule_with_warmup(num_warmup_steps=2, num_training_steps=10)
        LrSchedule s = LrSchedule.linear(2, 10);
        double[] expected = {0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0};
        for (int t = 0; t < expected.length; t++) assertEquals(expected[t], s.multiplier(t), EPS, "step " + t);
        assertEquals(0.0, s.multiplier(12));
    }

    @Test
    void linearDecaysToTheMinRatioAndStaysThere() {
        LrSchedule s = LrSchedule.linear(2, 10, 0.2);
        assertEquals(0.5, s.multiplier(1), EPS);
        assertEquals(1.0, s.multiplier(2), EPS);
        assertEquals(0.6, s.multiplier(6), EPS);
        assertEquals(0.2, s.multiplier(10), EPS);
        assertEquals(0.2, s.multiplier(50), EPS);
    }

    @Test
    void cosineMatchesHuggingFaceValues() {
        // HF get_cosine_schedule_with_warmup(num_warmup_steps=2, num_training_steps=10):
        // 0.5 * (1 + cos(pi * (t - 2) / 8)) after warmup.
        LrSchedule s = LrSchedule.cosine(2, 10);
        assertEquals(0.0, s.multiplier(0));
        assertEquals(0.5, s.multiplier(1));
        assertEquals(1.0, s.multiplier(2), EPS);
        assertEquals(0.9619397662556434, s.multiplier(3), EPS);
        assertEquals(0.8535533905932737, s.multiplier(4), EPS);
        assertEquals(0.5, s.multiplier(6), EPS);
        assertEquals(0.1464466094067262, s.multiplier(8), EPS);
        assertEquals(0.0, s.multiplier(10), EPS);
        assertEquals(0.0, s.multiplier(14), EPS); // HF would rise again past the end; we stay at the floor
    }

    @Test
    void cosineWithMinRatioAndWithoutWarmup() {
        LrSchedule s = LrSchedule.cosine(0, 4, 0.5, 0.1);
        assertEquals(1.0, s.multiplier(0), EPS);
        assertEquals(0.1 + 0.9 * 0.5, s.multiplier(2), EPS);
        assertEquals(0.1, s.multiplier(4), EPS);
    }

    @Test
    void applySetsEachGroupFromItsOwnBaseLrAtTheOptimizersStep() {
        Parameter w = new Parameter("dense.weight", Tensor.zeros(2, 2));
        Parameter e = new Parameter("wte.weight", Tensor.zeros(3, 2));
        AdamW opt = new AdamW(ParamGroups.build(List.of(w, e), new ParamGroups.Config(1e-3, 0.01, 10)));
        LrSchedule s = LrSchedule.linear(2, 10);
        s.apply(opt); // step 0: warmup starts at 0
        assertEquals(0.0, opt.groups().get(0).lr());
        w.gradForAccumulation();
        opt.step();
        s.apply(opt); // step 1
        assertEquals(0.5e-3, opt.groups().get(0).lr(), EPS);
        assertEquals(0.5e-2, opt.groups().get(1).lr(), EPS);
        assertEquals(ParamGroups.EMBEDDINGS, opt.groups().get(1).name());
    }

    @Test
    void namedSchedulesAndBadArguments() {
        assertEquals(0.5, LrSchedule.named("cosine", 2, 10, 0).multiplier(6), EPS);
        assertEquals(0.375, LrSchedule.named("LINEAR", 2, 10, 0).multiplier(7), EPS);
        assertEquals(0.5, LrSchedule.named("constant_with_warmup", 2, 10, 0).multiplier(1), EPS);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.named("polynomial", 2, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.linear(11, 10));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(0, 0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.linear(0, 10, 1.5));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.linear(0, 10).multiplier(-1));
    }
}
