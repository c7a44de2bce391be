package dev.tune4j.train.preference;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The losses of preference pairs, as functions of per-sequence scores: for n pairs, 2n scores laid
 * out chosen first ({@code [0, n)}) then rejected ({@code [n, 2n)}). A score is a completion's summed
 * token log-probability under the policy (DPO, IPO, ORPO, SimPO, with its token count and, for DPO
 * and IPO, the reference's), or a reward model's scalar (Bradley-Terry). Each returns the mean loss
 * over pairs, writes its gradient with respect to the scores, and reports what training logs.
 *
 * <pre>
 *   sigmoid (DPO):  h = beta * ((pc - rc) - (pr - rr))       L = -(1-eps) log s(h) - eps log s(-h)
 *   ipo:            h = (pc - rc) - (pr - rr)                L = (h - 1/(2 beta))^2
 *   orpo:           m = p/len (mean token log-prob)          L = -mc - lambda * log s(log odds(mc) - log odds(mr)),
 *                   log odds(m) = m - log(1 - e^m)
 *   simpo:          h = beta * (pc/lc - pr/lr) - gamma       L = -(1-eps) log s(h) - eps log s(-h)
 *   bradley_terry:  h = sc - sr - margin                     L = -log s(h)
 * </pre>
 * with s the logistic function. Everything is in float64 and in forms that stay finite where the
 * naive ones do not: {@code log s(x) = -softplus(-x)}, {@code softplus(x) = max(x, 0) + log1p(e^-|x|)},
 * and {@code log(1 - e^m)} through {@code log(-expm1(m))} near 0 and {@code log1p(-e^m)} below -ln 2.
 *
 * <p>Implicit rewards (logged): {@code beta * (p - r)} for DPO/IPO, {@code beta * p/len} for SimPO
 * and ORPO, the score itself for Bradley-Terry; accuracy is how often the chosen one's is higher.
 */
public record PairLoss(Kind kind, double beta, double labelSmoothing, double lambda, double gamma, double margin) {

    public enum Kind {
        SIGMOID("sigmoid"), IPO("ipo"), ORPO("orpo"), SIMPO("simpo"), BRADLEY_TERRY("bradley_terry");

        public final String id;

        Kind(String id) { this.id = id; }

        public static Kind parse(String id) {
            for (Kind k : values()) if (k.id.equals(id)) return k;
            throw new IllegalArgumentException("unknown preference loss '" + id + "' (expected sigmoid, ipo, orpo, simpo or bradley_terry)");
        }
    }

    public PairLoss {
        if (!(beta > 0 && Double.isFinite(beta))) throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) throw new IllegalArgumentException("label smoothing must be in [0, 0.5), got " + labelSmoothing);
        if (!(lambda >= 0 && Double.isFinite(lambda))) throw new IllegalArgumentException("lambda must be a finite number >= 0, got " + lambda);
        if (!Double.isFinite(gamma) || !Double.isFinite(margin)) throw new IllegalArgumentException("gamma and margin must be finite");
    }

    public static PairLoss dpo(double beta, double labelSmoothing) { return new PairLoss(Kind.SIGMOID, beta, labelSmoothing, 0, 0, 0); }

    public static PairLoss ipo(double beta) { return new PairLoss(Kind.IPO, beta, 0, 0, 0, 0); }

    public static PairLoss orpo(double lambda) { return new PairLoss(Kind.ORPO, lambda == 0 ? 1 : lambda, 0, lambda, 0, 0); }

    public static PairLoss simpo(double beta, double gamma, double labelSmoothing) { return new PairLoss(Kind.SIMPO, beta, labelSmoothing, 0, gamma, 0); }

    public static PairLoss bradleyTerry(double margin) { return new PairLoss(Kind.BRADLEY_TERRY, 1, 0, 0, 0, margin); }

    /** Whether the loss compares with a reference model's log-probabilities. */
    public boolean needsReference() { return kind == Kind.SIGMOID || kind == Kind.IPO; }

    /** Whether it reads the token counts (length-normalised log-probabilities). */
    public boolean lengthNormalised() { return kind == Kind.ORPO || kind == Kind.SIMPO; }

    /**
     * @param scores    2n: chosen then rejected
     * @param lengths   2n token counts (ORPO, SimPO), else may be null
     * @param reference 2n reference log-probabilities (DPO, IPO), else may be null
     * @param grad      2n, zeroed: receives dL/dscores of the mean loss over pairs
     */
    public Result apply(double[] scores, int[] lengths, double[] reference, double[] grad) {
        if (scores.length % 2 != 0 || scores.length == 0) throw new IllegalArgumentException("pair scores come chosen then rejected: got " + scores.length);
        if (needsReference() && (reference == null || reference.length != scores.length)) throw new IllegalArgumentException(kind.id + " needs the reference log-probabilities of every sequence");
        if (lengthNormalised() && (lengths == null || lengths.length != scores.length)) throw new IllegalArgumentException(kind.id + " needs every sequence's token count");
        int n = scores.length / 2;
        double loss = 0, rewardC = 0, rewardR = 0, correct = 0, nll = 0;
        for (int i = 0; i < n; i++) {
            int c = i, r = n + i;
            double l, dc, dr, rc, rr; // pair loss, its derivatives by the chosen and rejected score, implicit rewards
            switch (kind) {
                case SIGMOID -> {
                    double h = beta * ((scores[c] - reference[c]) - (scores[r] - reference[r]));
                    l = smoothedLogistic(h);
                    double dh = smoothedLogisticSlope(h) * beta;
                    dc = dh;
                    dr = -dh;
                    rc = beta * (scores[c] - reference[c]);
                    rr = beta * (scores[r] - reference[r]);
                }
                case IPO -> {
                    double h = (scores[c] - reference[c]) - (scores[r] - reference[r]);
                    double d = h - 1 / (2 * beta);
                    l = d * d;
                    dc = 2 * d;
                    dr = -2 * d;
                    rc = beta * (scores[c] - reference[c]);
                    rr = beta * (scores[r] - reference[r]);
                }
                case SIMPO -> {
                    double mc = scores[c] / len(lengths, c), mr = scores[r] / len(lengths, r);
                    double h = beta * (mc - mr) - gamma;
                    l = smoothedLogistic(h);
                    double dh = smoothedLogisticSlope(h) * beta;
                    dc = dh / len(lengths, c);
                    dr = -dh / len(lengths, r);
                    rc = beta * mc;
                    rr = beta * mr;
                }
                case ORPO -> {
                    double mc = Math.min(scores[c] / len(lengths, c), -1e-12), mr = Math.min(scores[r] / len(lengths, r), -1e-12);
                    double h = logOdds(mc) - logOdds(mr);
                    double ratio = -softplus(-h);                     // log s(h)
                    l = -mc - lambda * ratio;
                    double dh = -lambda * sigmoid(-h);                // d(-lambda log s(h))/dh
                    dc = (-1 + dh * logOddsSlope(mc)) / len(lengths, c);
                    dr = (-dh * logOddsSlope(mr)) / len(lengths, r);
                    nll += -mc;
                    rc = beta * mc;
                    rr = beta * mr;
                }
                case BRADLEY_TERRY -> {
                    double h = scores[c] - scores[r] - margin;
                    l = softplus(-h);
                    dc = -sigmoid(-h);
                    dr = -dc;
                    rc = scores[c];
                    rr = scores[r];
                }
                default -> throw new IllegalStateException();
            }
            loss += l;
            grad[c] += dc / n;
            grad[r] += dr / n;
            rewardC += rc;
            rewardR += rr;
            if (rc > rr) correct++;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("rewards/chosen", rewardC / n);
        m.put("rewards/rejected", rewardR / n);
        m.put("margin", (rewardC - rewardR) / n);
        m.put("accuracy", correct / n);
        if (kind == Kind.ORPO) m.put("nll", nll / n);
        return new Result(loss / n, m);
    }

    /** The mean loss over pairs, and the figures logged with it. */
    public record Result(double loss, Map<String, Double> metrics) {}

    private static double len(int[] lengths, int i) {
        if (lengths[i] <= 0) throw new IllegalArgumentException("sequence " + i + " has no scored tokens");
        return lengths[i];
    }

    /** -(1-eps) log s(h) - eps log s(-h). */
    private double smoothedLogistic(double h) {
        return (1 - labelSmoothing) * softplus(-h) + labelSmoothing * softplus(h);
    }

    /** Its derivative: -(1-eps) s(-h) + eps s(h). */
    private double smoothedLogisticSlope(double h) {
        return -(1 - labelSmoothing) * sigmoid(-h) + labelSmoothing * sigmoid(h);
    }

    /** log(1 + e^x) without overflow or cancellation. */
    public static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** log(p / (1 - p)) for log p = m < 0. */
    static double logOdds(double m) {
        return m - log1mexp(m);
    }

    /** d logOdds/dm = 1 / (1 - e^m). */
    static double logOddsSlope(double m) {
        return -1 / Math.expm1(m);
    }

    /** log(1 - e^m) for m < 0 (Maechler's split: each branch keeps its precision). */
    static double log1mexp(double m) {
        return m > -Math.log(2) ? Math.log(-Math.expm1(m)) : Math.log1p(-Math.exp(m));
    }
}
