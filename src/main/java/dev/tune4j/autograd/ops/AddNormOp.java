package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Var;

import java.util.Objects;

/**
 * The residual step of a transformer block as one op: sum = x + r, then y = norm(sum), LayerNorm
 * when centered (beta may be null), else RMSNorm (beta null). A pre-norm block carries sum on as
 * its residual stream and feeds y to the next sublayer ({@link #apply}); a post-norm block goes on
 * with y alone ({@link #normOfSum}), and then, with no gradient wanted, the sum is never stored
 * apart from y. Each row is added and normalised in one pass while it sits in L1
 * ({@link dev.tune4j.kernel.Norms#addForward}), with the same bits as {@link AddOp} followed by
 * {@link LayerNormOp} or {@link RmsNormOp}, forward and backward.
 *
 * <p>Backward: dsum = (gradient from sum's readers) + norm'(dy), then dx += dsum and dr += dsum.
 */
public final class AddNormOp {
    private static final String OP = "AddNormOp";

    private AddNormOp() {}

    /** sum = x + r and y = norm(sum). */
    public record Result(Var sum, Var y) {}

    /** sum = x + r and y = norm(sum), both to be read on. */
    public static Result apply(boolean centered, Var x, Var r, Var gamma, Var beta, float eps) {
        return NormOp.apply(OP, centered, x, Objects.requireNonNull(r, "residual"), true, gamma, beta, eps);
    }

    /** y = norm(x + r) alone. */
    public static Var normOfSum(boolean centered, Var x, Var r, Var gamma, Var beta, float eps) {
        return NormOp.apply(OP, centered, x, Objects.requireNonNull(r, "residual"), false, gamma, beta, eps).y();
    }
}
