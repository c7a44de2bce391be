package dev.tune4j.autograd.ops;

import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Tape;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Gemm;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

/**
 * {@code C = op(A)·op(B)} for 2-D operands, where op(X) is X or Xᵀ as the flags say:
 * op(A) is [m, k], op(B) is [k, n], C is [m, n]. B may be segment-backed.
 *
 * <p>Backward, with G = dC: d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G; a transposed operand
 * receives the transpose, which is written straight into its [k, m] or [n, k] gradient by
 * swapping the GEMM's operands rather than by transposing anything.
 */
public final class MatMulOp {
    private MatMulOp() {}

    public static Var apply(Var a, Var b, boolean transA, boolean transB) {
        int[] as = a.shape(), bs = b.shape();
        String op = "MatMulOp(transA=" + transA + ", transB=" + transB + ")";
        Shape.check(as.length == 2 && bs.length == 2, op, "operands must be 2-D", as, bs);
        int m = transA ? as[1] : as[0], k = transA ? as[0] : as[1];
        int kb = transB ? bs[1] : bs[0], n = transB ? bs[0] : bs[1];
        Shape.check(k == kb, op, "inner dimensions differ", as, bs);

        int lda = as[1], ldb = bs[1];
        float[] ad = LinearOp.heap(a.value()).data();
        Tensor c = Scratch.allocate(m, n);
        Gemm.gemm(m, n, k, ad, 0, lda, transA, b.value().storage(), 0, ldb, transB, c.data(), 0, n, null, 0, false);

        Var result = Tape.output(c, a, b);
        if (result.requiresGrad()) {
            Tape.push(() -> {
                if (result.grad() == null) return;
                float[] g = result.grad().data();
                if (a.requiresGrad()) {
                    float[] da = a.gradForAccumulation();
                    if (!transA) {
                        // dA[m, k] += G[m, n] · op(B)ᵀ
                        Gemm.gemm(m, k, n, g, 0, n, false, b.value().storage(), 0, ldb, !transB, da, 0, k, null, 0, true);
                    } else {
                        // A is [k, m]: dA += (G · op(B)ᵀ)ᵀ = op(B) · Gᵀ
                        float[] bd = LinearOp.heap(b.value()).data();
                        Gemm.gemm(k, m, n, bd, 0, ldb, transB, g, 0, n, true, da, 0, m, null, 0, true);
                    }
                }
                if (b.requiresGrad()) {
                    float[] db = b.gradForAccumulation();
                    if (!transB) {
                        // dB[k, n] += op(A)ᵀ · G
                        Gemm.gemm(k, n, m, ad, 0, lda, !transA, g, 0, n, false, db, 0, n, null, 0, true);
                    } else {
                        // B is [n, k]: dB += (op(A)ᵀ · G)ᵀ = Gᵀ · op(A)
                        Gemm.gemm(n, k, m, g, 0, n, true, ad, 0, lda, transA, db, 0, k, null, 0, true);
                    }
                }
            });
        }
        return result;
    }
}
