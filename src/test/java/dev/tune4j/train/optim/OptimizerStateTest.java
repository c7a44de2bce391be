package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

class OptimizerStateTest {

    record Model(Parameter w, Parameter b, Parameter frozen) {
        static Model create() {
            SplittableRandom rng = new SplittableRandom(5);
            Model m = new Model(new Parameter("enc.weight", Tensor.randn(rng, 1f, 9, 5)),
                    new Parameter("enc.bias", Tensor.randn(rng, 1f, 5)),
                    new Parameter("embeddings.weight", Tensor.randn(rng, 1f, 4, 5)));
            m.frozen.setFrozen(true);
            return m;
        }

        Model copy() {
            Model m = new Model(new Parameter(w.name(), w.value().copy()), new Parameter(b.name(), b.value().copy()),
                    new Parameter(frozen.name(), frozen.value().copy()));
            m.frozen.setFrozen(true);
            return m;
        }

        List<Parameter> params() { return List.of(w, b, frozen); }

        /** Deterministic gradients for step t. */
        void grads(int t) {
            SplittableRandom rng = new SplittableRandom(100 + t);
            for (Parameter p : List.of(w, b)) {
                float[] g = p.gradForAccumulation();
                for (int i = 0; i < g.length; i++) g[i] = (float) Tensor.gaussian(rng);
            }
        }
    }

    void step(Optimizer opt, LrSchedule schedule, Model m, int t) {
        opt.zeroGrad();
        m.grads(t);
        schedule.apply(opt);
        opt.step();
    }

    /** Trains 7 steps straight through, and 4 + checkpoint + resume in a fresh optimizer + 3; weights must agree bit for bit. */
    void resumesBitExactly(Function<List<ParamGroup>, Optimizer> make) {
        LrSchedule schedule = LrSchedule.cosine(2, 7);
        Model a = Model.create();
        Optimizer optA = make.apply(ParamGroups.build(a.params(), new ParamGroups.Config(0.01, 0.1, 2.0)));
        for (int t = 0; t < 7; t++) step(optA, schedule, a, t);

        Model b = Model.create();
        Optimizer optB = make.apply(ParamGroups.build(b.params(), new ParamGroups.Config(0.01, 0.1, 2.0)));
        for (int t = 0; t < 4; t++) step(optB, schedule, b, t);
        // As a checkpoint: tensor copies, and scalars as strings (safetensors metadata is string -> string).
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        optB.stateTensors().forEach((k, v) -> tensors.put(k, v.copy()));
        Map<String, Object> scalars = new LinkedHashMap<>();
        optB.stateScalars().forEach((k, v) -> scalars.put(k, String.valueOf(v)));

        Model c = b.copy();
        Optimizer optC = make.apply(ParamGroups.build(c.params(), new ParamGroups.Config(0.5, 0.0, 1.0))); // hyperparameters come from the checkpoint
        optC.loadState(tensors, scalars);
        assertEquals(4, optC.stepCount());
        for (int t = 4; t < 7; t++) step(optC, schedule, c, t);

        assertArrayEquals(a.w.data(), c.w.data());
        assertArrayEquals(a.b.data(), c.b.data());
        assertArrayEquals(a.frozen.data(), c.frozen.data());
        assertEquals(optA.stateScalars(), optC.stateScalars());
        // Sanity: resuming without the state would not have matched.
        Model d = b.copy();
        Optimizer optD = make.apply(ParamGroups.build(d.params(), new ParamGroups.Config(0.01, 0.1, 2.0)));
        for (int t = 4; t < 7; t++) step(optD, schedule, d, t);
        assertFalse(java.util.Arrays.equals(a.w.data(), d.w.data()));
    }

    @Test
    void adamwResumesBitExactlyFromExportedState() {
        resumesBitExactly(AdamW::new);
    }

    @Test
    void sgdResumesBitExactlyFromExportedState() {
        resumesBitExactly(groups -> new Sgd(groups, 0.9, 0, true));
    }

    @Test
    void stateIsNamedByParameter() {
        Model m = Model.create();
        AdamW opt = new AdamW(ParamGroups.build(m.params(), 0.01, 0.1));
        m.grads(0);
        opt.step();
        assertEquals(List.of("exp_avg.enc.weight", "exp_avg_sq.enc.weight", "exp_avg.enc.bias", "exp_avg_sq.enc.bias"),
                List.copyOf(opt.stateTensors().keySet()));
        Map<String, Object> s = opt.stateScalars();
        assertEquals("adamw", s.get("optimizer"));
        assertEquals(1, s.get("step"));
        assertEquals(0.1, s.get("group.decay.weight_decay"));
        assertEquals(0.0, s.get("group.embeddings.weight_decay"));
        assertEquals(1, s.get("param_step.enc.bias"));
        assertFalse(s.containsKey("param_step.embeddings.weight"));
    }

    @Test
    void loadStateRejectsACheckpointThatDoesNotFitAndChangesNothing() {
        Model m = Model.create();
        AdamW opt = new AdamW(ParamGroups.build(m.params(), 0.01, 0.1));
        m.grads(0);
        opt.step();
        Map<String, Tensor> tensors = new HashMap<>(opt.stateTensors());
        Map<String, Object> scalars = new HashMap<>(opt.stateScalars());
        Map<String, Object> before = opt.stateScalars();
        float[] mBefore = opt.stateTensors().get("exp_avg.enc.weight").data().clone();

        Map<String, Tensor> badShape = new HashMap<>(tensors);
        badShape.put("exp_avg.enc.weight", Tensor.zeros(5, 9));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(badShape, scalars));
        assertTrue(e.getMessage().contains("'exp_avg.enc.weight' has shape [5, 9]"), e.getMessage());

        Map<String, Tensor> unknown = new HashMap<>(tensors);
        unknown.put("exp_avg.dec.weight", Tensor.zeros(2));
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(unknown, scalars));
        assertTrue(e.getMessage().contains("exp_avg.dec.weight"), e.getMessage());

        Map<String, Tensor> missing = new HashMap<>(tensors);
        missing.remove("exp_avg_sq.enc.bias");
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(missing, scalars));
        assertTrue(e.getMessage().contains("exp_avg_sq.enc.bias"), e.getMessage());

        Map<String, Object> sgd = new HashMap<>(scalars);
        sgd.put("optimizer", "sgd");
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(tensors, sgd));
        assertTrue(e.getMessage().contains("sgd"), e.getMessage());

        Map<String, Object> zeroed = new HashMap<>(scalars);
        zeroed.put("step", 7);
        zeroed.put("group.decay.lr", 123.0);
        Map<String, Tensor> zeros = new HashMap<>(tensors);
        zeros.put("exp_avg.enc.weight", Tensor.zeros(5, 9));
        assertThrows(IllegalArgumentException.class, () -> opt.loadState(zeros, zeroed));

        assertEquals(before, opt.stateScalars());
        assertArrayEquals(mBefore, opt.stateTensors().get("exp_avg.enc.weight").data());
    }

    @Test
    void sgdCheckpointWithOtherMomentumIsRejected() {
        Model m = Model.create();
        Sgd a = new Sgd(ParamGroups.build(m.params(), 0.01, 0), 0.9);
        m.grads(0);
        a.step();
        Sgd b = new Sgd(ParamGroups.build(m.params(), 0.01, 0), 0.5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.loadState(a.stateTensors(), a.stateScalars()));
        assertTrue(e.getMessage().contains("momentum=0.9"), e.getMessage());
    }
}
