package dev.tune4j.train;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.kernel.Elementwise;

import java.util.ArrayList;
import java.util.List;

/**
 * L2-SP (Li, Grandvalet and Davoine, 2018): a penalty on the distance from the starting point,
 * <pre>
 *   R(w) = lambda/2 * sum_i ||w_i - w0_i||^2,    dR/dw_i = lambda * (w_i - w0_i)
 * </pre>
 * over the trained weights, where w0 is their value when training began (the pre-trained weights
 * under full fine-tuning). Unlike weight decay, which pulls towards zero and so away from what
 * pre-training learned, it pulls towards the pre-trained solution: a lever against forgetting.
 *
 * <p>It costs one float32 copy of the trained weights. The anchors are taken when the trainer is
 * built, before a checkpoint is restored, so a resumed run keeps the original starting point.
 */
final class L2Sp {
    private final float lambda;
    private final List<Parameter> params;
    private final List<float[]> anchors = new ArrayList<>();

    L2Sp(double lambda, List<Parameter> params) {
        this.lambda = (float) lambda;
        this.params = params;
        for (Parameter p : params) anchors.add(p.value().toHeap().data().clone());
    }

    /** Adds lambda * (w - w0) to each gradient (creating it where the data gave none). */
    void addGradient() {
        for (int i = 0; i < params.size(); i++) {
            float[] w = params.get(i).data(), w0 = anchors.get(i), g = params.get(i).gradForAccumulation();
            Elementwise.axpy(lambda, w, g, w.length);
            Elementwise.axpy(-lambda, w0, g, w.length);
        }
    }

    /** ||w - w0|| over all trained weights, in float64: how far training has moved them. */
    double distance() {
        double sum = 0;
        for (int i = 0; i < params.size(); i++) {
            float[] w = params.get(i).data(), w0 = anchors.get(i);
            for (int j = 0; j < w.length; j++) {
                double d = (double) w[j] - w0[j];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }
}
