package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;

/**
 * The residual step of a transformer block as one op: sum = x + r, then y = norm(sum), both
 * returned. A pre-norm block carries sum on as its residual stream and feeds y to the next
 * sublayer; a post-norm block goes on with y alone. Each row is added and normalised in one pass
 * while it sits in L1 ({@link dev.tune4j.kernel.Norms#addForward}), with the same bits as
 * {@link AddOp} followed by {@link LayerNormOp} or {@link RmsNormOp}, forward and backward.
 *
 * <p>Backward: dsum = (gradient from sum's readers) + norm'(dy), then dx += dsum and dr += dsum.
 */
public final class AddNormOp {
    private AddNormOp() {}

    /** sum = x + r and y = norm(sum). */
    public record Result(Var sum, Var y) {}

    /** y = LayerNorm(x + r) with gamma and beta (null for no bias). */
    public static Result layerNorm(Var x, Var r, Var gamma, Var beta, float eps) {
        return NormOp.apply("AddNormOp", true, x, java.util.Objects.requireNonNull(r, "residual"), gamma, beta, eps);
    }

    /** y = RMSNorm(x + r) with gamma. */
    public static Result rmsNorm(Var x, Var r, Var gamma, float eps) {
        return NormOp.apply("AddNormOp", false, x, java.util.Objects.requireNonNull(r, "residual"), gamma, null, eps);
    }
}
