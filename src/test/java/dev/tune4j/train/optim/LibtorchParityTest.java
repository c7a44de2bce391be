package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.tensor.Tensor;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Cross-checks against libtorch's own optimizers (torch::optim::AdamW / SGD, the C++ versions of
 * the torch.optim update rules) through the bytedeco bindings: the same weights and gradients, a
 * changing learning rate, a weight-decay group and a no-decay group.
 */
class LibtorchParityTest {
    static final double[] LRS = {1e-2, 3e-2, 2e-2, 5e-3, 1e-2, 4e-2};

    static org.bytedeco.pytorch.Tensor torchTensor(float[] data, int[] shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = shape[i];
        return org.bytedeco.pytorch.Tensor.create(data.clone(), s);
    }

    static float[] read(org.bytedeco.pytorch.Tensor t, int n) {
        float[] out = new float[n];
        t.contiguous().data_ptr_float().get(out);
        return out;
    }

    interface TorchOpt {
        void setLr(double lr);
        void step();
        void zeroGrad();
    }

    /** Runs ours and libtorch's side by side; returns the max abs weight difference at the end. */
    static double compare(String label, Optimizer ours, List<Parameter> ps, List<org.bytedeco.pytorch.Tensor> theirs,
                          List<TorchOpt> torchOpts, double[] lrMultiplierPerGroup) {
        SplittableRandom rng = new SplittableRandom(21);
        for (int t = 0; t < LRS.length; t++) {
            for (int g = 0; g < ours.groups().size(); g++) {
                ours.groups().get(g).setLr(LRS[t] * lrMultiplierPerGroup[g]);
                torchOpts.get(g).setLr(LRS[t] * lrMultiplierPerGroup[g]);
            }
            ours.zeroGrad();
            for (TorchOpt o : torchOpts) o.zeroGrad();
            for (int k = 0; k < ps.size(); k++) {
                Parameter p = ps.get(k);
                float[] g = p.gradForAccumulation();
                double scale = t % 2 == 0 ? 3.0 : 0.01;
                for (int i = 0; i < g.length; i++) g[i] = (float) (Tensor.gaussian(rng) * scale);
                // d/dw sum(w * G) = G exactly: hands libtorch the same gradient through its own autograd.
                theirs.get(k).mul(torchTensor(g, p.shape())).sum().backward();
            }
            ours.step();
            for (TorchOpt o : torchOpts) o.step();
        }
        double maxAbs = 0;
        for (int k = 0; k < ps.size(); k++) {
            float[] a = ps.get(k).data(), b = read(theirs.get(k), a.length);
            for (int i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
        }
        System.out.printf("%s vs libtorch after %d steps: max_abs_diff=%.3g%n", label, LRS.length, maxAbs);
        return maxAbs;
    }

    record Setup(List<Parameter> decay, List<Parameter> noDecay, List<org.bytedeco.pytorch.Tensor> torchDecay,
                 List<org.bytedeco.pytorch.Tensor> torchNoDecay) {
        static Setup create() {
            SplittableRandom rng = new SplittableRandom(20);
            Parameter w = new Parameter("dense.weight", Tensor.randn(rng, 1f, 31, 17));
            Parameter w2 = new Parameter("out.weight", Tensor.randn(rng, 1f, 5, 3));
            Parameter b = new Parameter("dense.bias", Tensor.randn(rng, 1f, 17));
            return new Setup(List.of(w, w2), List.of(b), List.of(tt(w), tt(w2)), List.of(tt(b)));
        }

        static org.bytedeco.pytorch.Tensor tt(Parameter p) {
            org.bytedeco.pytorch.Tensor t = torchTensor(p.data(), p.shape());
            t.set_requires_grad(true);
            return t;
        }

        List<Parameter> all() {
            return java.util.stream.Stream.concat(decay.stream(), noDecay.stream()).toList();
        }

        List<org.bytedeco.pytorch.Tensor> allTorch() {
            return java.util.stream.Stream.concat(torchDecay.stream(), torchNoDecay.stream()).toList();
        }
    }

    static TorchOpt wrap(org.bytedeco.pytorch.Optimizer o) {
        return new TorchOpt() {
            public void setLr(double lr) { o.param_groups().get(0).options().set_lr(lr); }
            public void step() { o.step(); }
            public void zeroGrad() { o.zero_grad(); }
        };
    }

    @Test
    void adamwMatchesLibtorchAdamW() {
        Setup s = Setup.create();
        AdamW ours = new AdamW(List.of(new ParamGroup("decay", s.decay(), 0, 0.1), new ParamGroup("no_decay", s.noDecay(), 0, 0)));
        AdamWOptions decayOpts = new AdamWOptions(1e-2);
        decayOpts.weight_decay().put(0.1);
        AdamWOptions noDecayOpts = new AdamWOptions(1e-2);
        noDecayOpts.weight_decay().put(0.0);
        List<TorchOpt> torch = List.of(
                wrap(new org.bytedeco.pytorch.AdamW(new TensorVector(s.torchDecay().toArray(new org.bytedeco.pytorch.Tensor[0])), decayOpts)),
                wrap(new org.bytedeco.pytorch.AdamW(new TensorVector(s.torchNoDecay().toArray(new org.bytedeco.pytorch.Tensor[0])), noDecayOpts)));
        double diff = compare("ADAMW", ours, s.all(), s.allTorch(), torch, new double[] {1, 2});
        assertTrue(diff < 2e-6, "max abs diff " + diff);
    }

    @Test
    void sgdNesterovMatchesLibtorchSgd() {
        Setup s = Setup.create();
        Sgd ours = new Sgd(List.of(new ParamGroup("decay", s.decay(), 0, 0.01), new ParamGroup("no_decay", s.noDecay(), 0, 0)), 0.9, 0, true);
        List<TorchOpt> torch = new java.util.ArrayList<>();
        for (var pair : List.of(List.of(s.torchDecay(), 0.01), List.of(s.torchNoDecay(), 0.0))) {
            @SuppressWarnings("unchecked") List<org.bytedeco.pytorch.Tensor> ts = (List<org.bytedeco.pytorch.Tensor>) pair.get(0);
            SGDOptions o = new SGDOptions(1e-2);
            o.momentum().put(0.9);
            o.nesterov().put(true);
            o.weight_decay().put((Double) pair.get(1));
            torch.add(wrap(new org.bytedeco.pytorch.SGD(new TensorVector(ts.toArray(new org.bytedeco.pytorch.Tensor[0])), o)));
        }
        double diff = compare("SGD(nesterov)", ours, s.all(), s.allTorch(), torch, new double[] {1, 2});
        assertTrue(diff < 2e-6, "max abs diff " + diff);
    }
}
