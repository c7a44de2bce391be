package dev.tune4j.audit;

import java.util.Locale;
import dev.tune4j.data.Example;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.train.ClassificationMetrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The label audit of a classification data set: out-of-sample class probabilities by K-fold
 * cross-validation (each row scored by a model that never saw it: a {@link FoldModel}, by default
 * a softmax head on the pre-trained model's embeddings, {@link HeadFolds}), then
 * {@link ConfidentLearning} finds the rows whose given label disagrees with a confident prediction.
 * Deterministic for a seed.
 */
public final class LabelAudit {
    private LabelAudit() {}

    /** How the fold models are trained. */
    public enum Method {
        /** A softmax head on embeddings computed once (fast). */
        HEAD,
        /** LoRA fine-tuning of the model per fold (slow; see recipe.LoraFolds). */
        LORA;

        public static Method parse(String s) {
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "head" -> HEAD;
                case "lora" -> LORA;
                default -> throw new IllegalArgumentException("unknown audit method '" + s + "' (expected head or lora)");
            };
        }
    }

    /**
     * What the audit found.
     *
     * @param rows     the audited rows, in input order
     * @param labels   class names in id order
     * @param given    each row's given label id
     * @param probs    out-of-sample probabilities [rows][classes]
     * @param found    thresholds, confident joint and the flagged rows
     * @param heldOut  how the fold models did on the rows they did not see, against the given labels
     * @param fit      how the fold models were chosen (the head's L2 weight and the log-loss of each tried), for the report
     */
    public record Result(List<Example> rows, List<String> labels, int[] given, double[][] probs, ConfidentLearning.Result found,
                         ClassificationMetrics heldOut, int folds, long seed, Method method, Map<String, Object> fit) {
        public List<ConfidentLearning.Issue> issues() {
            return found.issues();
        }
    }

    /** Given label ids of the rows; a label outside {@code labels} is an error naming the row. */
    public static int[] labelIds(List<Example> rows, List<String> labels) {
        int[] y = new int[rows.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.indexOf(rows.get(i).label);
            if (y[i] < 0) throw new IllegalArgumentException(rows.get(i).origin + ": label '" + rows.get(i).label + "' is not one of " + labels);
        }
        return y;
    }

    /** Audits the rows with fold models from {@code model}. */
    public static Result run(List<Example> rows, List<String> labels, int folds, long seed, Method method, FoldModel model) {
        int[] y = labelIds(rows, labels);
        return result(rows, labels, y, outOfSample(y, labels.size(), folds, seed, model), folds, seed, method, Map.of());
    }

    private static Result result(List<Example> rows, List<String> labels, int[] y, double[][] probs, int folds, long seed, Method method, Map<String, Object> fit) {
        ClassificationMetrics m = new ClassificationMetrics(labels.size());
        for (int i = 0; i < y.length; i++) m.add(y[i], ConfidentLearning.argmax(probs[i]));
        return new Result(rows, labels, y, probs, ConfidentLearning.find(probs, y, labels.size()), m, folds, seed, method, fit);
    }

    /** The L2 weights the head-only audit tries. */
    static final double[] LAMBDAS = {0.01, 0.03, 0.1, 0.3, 1, 3, 10};

    /**
     * The head-only audit: embeds the rows' texts once with {@code model}, then a softmax head per
     * fold, its L2 weight λ the one of {@link #LAMBDAS} whose out-of-sample probabilities give the
     * given labels the lowest log-loss. A head free to fit 384 features memorises the wrong labels
     * of its training folds and grows overconfident; the log-loss of the held-out rows is what
     * punishes that, noise included (on SpamAssassin with 20% flipped labels it picks λ = 1, where
     * λ = 1/n, scikit-learn's default, flags 2.4 times as many rows at half the precision).
     */
    public static Result head(PretrainedModel model, List<Example> rows, List<String> labels, int folds, long seed, int maxLength) {
        float[][] x = HeadFolds.embed(model, rows.stream().map(e -> e.texts[0]).toList(), maxLength, 32);
        return head(x, rows, labels, folds, seed);
    }

    /** The head-only audit on embeddings already computed. */
    public static Result head(float[][] x, List<Example> rows, List<String> labels, int folds, long seed) {
        int[] y = labelIds(rows, labels);
        double[][] best = null;
        double bestLoss = Double.POSITIVE_INFINITY, bestLambda = Double.NaN;
        Map<String, Object> tried = new LinkedHashMap<>();
        for (double lambda : LAMBDAS) {
            double[][] p = outOfSample(y, labels.size(), folds, seed, new HeadFolds(x, y, labels.size(), lambda));
            double loss = logLoss(p, y);
            tried.put(String.valueOf(lambda), Math.round(loss * 1e6) / 1e6);
            if (loss < bestLoss) {
                bestLoss = loss;
                bestLambda = lambda;
                best = p;
            }
        }
        Map<String, Object> fit = new LinkedHashMap<>();
        fit.put("l2", bestLambda);
        fit.put("log_loss_by_l2", tried);
        return result(rows, labels, y, best, folds, seed, Method.HEAD, fit);
    }

    /** Mean −log p(given label), each probability floored at 1e-12. */
    static double logLoss(double[][] probs, int[] y) {
        double sum = 0;
        for (int i = 0; i < y.length; i++) sum -= Math.log(Math.max(probs[i][y[i]], 1e-12));
        return sum / y.length;
    }

    /** Probabilities of every row from the fold that held it out. */
    public static double[][] outOfSample(int[] labels, int classes, int folds, long seed, FoldModel model) {
        Folds f = Folds.stratified(labels, classes, folds, seed);
        double[][] probs = new double[labels.length][];
        for (int k = 0; k < f.count(); k++) {
            int[] held = f.heldOut(k);
            double[][] p = model.fitPredict(f.training(k), held, k);
            if (p.length != held.length) throw new IllegalStateException("fold " + k + ": " + p.length + " predictions for " + held.length + " rows");
            for (int i = 0; i < held.length; i++) probs[held[i]] = p[i];
        }
        return probs;
    }
}
