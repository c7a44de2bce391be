package dev.tune4j.oracle;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/** Losses computed by libtorch's own fused functions (not the oracle's hand-written ones), in float64. */
public final class LossOracle {
    private LossOracle() {}

    /**
     * torch.nn.functional.cross_entropy(logits, targets, weight=classWeights, ignore_index=-100,
     * reduction=mean or sum), differentiated.
     *
     * @param logits       [rows, classes], row-major
     * @param classWeights one weight per class, or null
     * @return the loss, and in {@code inputGrad} d loss / d logits [rows, classes]
     */
    public static OracleResult crossEntropy(float[] logits, int rows, int classes, int[] targets, float[] classWeights, boolean sum) {
        try (PointerScope scope = new PointerScope()) {
            Tensor z = Torch.of(logits, rows, classes).set_requires_grad(true);
            TensorOptional weight = classWeights == null ? new TensorOptional() : new TensorOptional(Torch.of(classWeights, classes));
            Tensor loss = torch.cross_entropy_loss(z, Torch.ids(new int[][] {targets}, "targets").reshape(-1), weight,
                    (sum ? torch.Reduction.Sum : torch.Reduction.Mean).value, -100, 0.0);
            loss.backward();
            return new OracleResult(new float[] {(float) loss.item_double()}, new int[0], loss.item_double(), Map.of(), Torch.toFloats(z.grad()));
        }
    }

    /**
     * DPO's sigmoid loss as TRL writes it, from logits [2n, T, V] (chosen rows first, then rejected)
     * and next-token targets [2n, T] (-100 ignored): per-row sums of log_softmax gathered at the
     * targets, {@code h = beta * ((c - refC) - (r - refR))}, loss = mean over pairs of
     * {@code -logsigmoid(h)}, differentiated in float64.
     *
     * @return the loss, and in {@code inputGrad} d loss / d logits
     */
    public static OracleResult dpo(float[] logits, int rows, int seq, int vocab, int[] targets, double[] reference, double beta) {
        try (PointerScope scope = new PointerScope()) {
            Tensor z = Torch.of(logits, rows, seq, vocab).set_requires_grad(true);
            Tensor tgt = Torch.ids(new int[][] {targets}, "targets").reshape(rows, seq);
            Tensor valid = tgt.ne(Torch.s(-100));
            Tensor safe = torch.where(valid, tgt, new org.bytedeco.pytorch.Scalar(0L));
            Tensor logp = z.log_softmax(2).gather(2, safe.unsqueeze(2)).squeeze(2).mul(valid.to(torch.ScalarType.Double));
            Tensor sums = Torch.sum(logp, 1, false).sub(Torch.ofDoubles(reference, rows));
            int n = rows / 2;
            Tensor h = sums.narrow(0, 0, n).sub(sums.narrow(0, n, n)).mul(Torch.s(beta));
            Tensor loss = torch.log_sigmoid(h).neg().mean();
            loss.backward();
            return new OracleResult(new float[] {(float) loss.item_double()}, new int[0], loss.item_double(), Map.of(), Torch.toFloats(z.grad()));
        }
    }
}
