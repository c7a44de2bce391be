package dev.tune4j.oracle;

import org.bytedeco.pytorch.Tensor;

import java.util.Arrays;
import java.util.Map;

/** The shared tail of every oracle call: differentiate, copy results out of torch. */
final class Finish {
    private Finish() {}

    /** Backward from sum(out * upstream) when upstream is given; input may be null. */
    static OracleResult upstream(Tensor out, float[] upstream, Leaves w, Tensor input) {
        int[] shape = Torch.shape(out);
        float[] values = Torch.toFloats(out);
        if (upstream == null) return new OracleResult(values, shape, Double.NaN, Map.of(), null);
        if (upstream.length != values.length) {
            throw new IllegalArgumentException("oracle: upstream has " + upstream.length + " values, output " + Arrays.toString(shape)
                    + " has " + values.length);
        }
        Tensor loss = out.mul(Torch.of(upstream, shape)).sum();
        loss.backward();
        return new OracleResult(values, shape, loss.item_double(), w.grads(), inputGrad(input));
    }

    /** Backward from the mean cross-entropy of logits [B, T, V] against targets [B, T] (-100 ignored). */
    static OracleResult crossEntropy(String who, Tensor logits, Tensor targets, Leaves w, Tensor input) {
        long b = logits.size(0), t = logits.size(1), v = logits.size(2);
        if (targets.size(0) != b || targets.size(1) != t) {
            throw new IllegalArgumentException(who + ": targets [" + targets.size(0) + ", " + targets.size(1) + "] do not match input ids [" + b + ", " + t + "]");
        }
        double[] ts = Torch.toDoubles(targets.to(org.bytedeco.pytorch.global.torch.ScalarType.Double));
        long valid = Arrays.stream(ts).filter(x -> x != -100).count();
        for (double x : ts) {
            if (x != -100 && (x < 0 || x >= v)) throw new IllegalArgumentException(who + ": target " + (long) x + " outside vocabulary [0, " + v + ")");
        }
        if (valid == 0) throw new IllegalArgumentException(who + ": every target is -100; the mean loss is undefined");
        Tensor loss = Ops.crossEntropy(logits.reshape(b * t, v), targets.reshape(-1), null);
        loss.backward();
        return new OracleResult(Torch.toFloats(logits), Torch.shape(logits), loss.item_double(), w.grads(), inputGrad(input));
    }

    /**
     * Backward from the (class-weighted) mean cross-entropy of logits [B, K] against labels [B]
     * (-100 ignored), as torch's cross_entropy(weight=classWeights) computes it.
     */
    static OracleResult classification(String who, Tensor logits, int[] labels, float[] classWeights, Leaves w, Tensor input) {
        long b = logits.size(0), k = logits.size(1);
        if (labels.length != b) throw new IllegalArgumentException(who + ": " + labels.length + " labels for " + b + " sequences");
        if (classWeights != null && classWeights.length != k) throw new IllegalArgumentException(who + ": " + classWeights.length + " class weights for " + k + " classes");
        double total = 0;
        for (int y : labels) {
            if (y == -100) continue;
            if (y < 0 || y >= k) throw new IllegalArgumentException(who + ": label " + y + " outside [0, " + k + ")");
            total += classWeights == null ? 1 : classWeights[y];
        }
        if (total == 0) throw new IllegalArgumentException(who + ": no label carries weight; the mean loss is undefined");
        Tensor loss = Ops.crossEntropy(logits, Torch.ids(new int[][] {labels}, "labels").reshape(-1),
                classWeights == null ? null : Torch.of(classWeights, (int) k));
        loss.backward();
        return new OracleResult(Torch.toFloats(logits), Torch.shape(logits), loss.item_double(), w.grads(), inputGrad(input));
    }

    private static float[] inputGrad(Tensor input) {
        if (input == null) return null;
        Tensor g = input.grad();
        return g.defined() ? Torch.toFloats(g) : new float[Math.toIntExact(input.numel())];
    }
}
