package dev.tune4j.recipe;

import dev.tune4j.data.collate.TokenRows;
import dev.tune4j.kernel.Softmax;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.train.ClassificationBatch;
import dev.tune4j.train.ClassificationObjective;
import dev.tune4j.train.Evaluator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuned text classifier ready to use: the model, its tokenizer and labels, and the cleaning
 * its training data went through, which new input gets too (so prediction sees text as training did).
 */
public final class TextClassifier implements AutoCloseable {
    private final PretrainedModel base;
    private final SequenceClassifier model;
    private final int maxLength;
    private final RunData.Cleaning cleaning;
    private final int batchSize;

    /** One prediction: the most probable label and every label's probability. */
    public record Prediction(String label, Map<String, Double> probabilities) {}

    TextClassifier(PretrainedModel base, SequenceClassifier model, int maxLength, RunData.Cleaning cleaning, int batchSize) {
        this.base = base;
        this.model = model;
        this.maxLength = maxLength;
        this.cleaning = cleaning;
        this.batchSize = batchSize;
    }

    public List<String> labels() {
        return model.labels();
    }

    public SequenceClassifier model() {
        return model;
    }

    public PretrainedModel base() {
        return base;
    }

    RunData.Cleaning cleaning() {
        return cleaning;
    }

    int maxLength() {
        return maxLength;
    }

    public Prediction predict(String text) {
        return predict(List.of(text)).getFirst();
    }

    /** Predictions for raw texts (cleaned as the training data was), in batches. */
    public List<Prediction> predict(List<String> texts) {
        float[] logits = logits(texts);
        List<Prediction> out = new ArrayList<>(texts.size());
        int k = model.numLabels();
        float[] p = new float[k];
        for (int i = 0; i < texts.size(); i++) {
            System.arraycopy(logits, i * k, p, 0, k);
            Softmax.forward(p, p, 1, k);
            Map<String, Double> probs = new LinkedHashMap<>();
            int best = 0;
            for (int c = 0; c < k; c++) {
                probs.put(model.labels().get(c), (double) p[c]);
                if (p[c] > p[best]) best = c;
            }
            out.add(new Prediction(model.labels().get(best), probs));
        }
        return out;
    }

    /** Raw outputs [texts, labels] for raw texts (cleaned as the training data was), in batches, in evaluation mode. */
    float[] logits(List<String> texts) {
        model.module().train(false);
        List<String> clean = texts.stream().map(cleaning::clean).toList();
        TokenRows rows = TokenRows.encode(base.requireTokenizer(), clean, maxLength);
        int k = model.numLabels();
        float[] out = new float[texts.size() * k];
        for (int from = 0; from < rows.size(); from += batchSize) {
            int n = Math.min(batchSize, rows.size() - from);
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) idx[i] = from + i;
            System.arraycopy(model.logits(rows.batch(idx)).value().toHeap().data(), 0, out, from * k, n * k);
        }
        return out;
    }

    /** Loss, accuracy, macro-F1 and per-class figures on labelled raw texts (cleaned as for training). */
    public Evaluator.Evaluation evaluate(List<String> texts, List<String> labels) {
        List<String> clean = texts.stream().map(cleaning::clean).toList();
        TokenRows rows = TokenRows.encode(base.requireTokenizer(), clean, maxLength);
        int[] ids = new int[labels.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = labelId(labels.get(i));
        return evaluate(rows, ids);
    }

    Evaluator.Evaluation evaluate(TokenRows rows, int[] labelIds) {
        Evaluator<ClassificationBatch> ev = new ClassificationObjective(model).evaluator();
        boolean was = model.module().isTraining();
        model.module().train(false);
        try {
            for (ClassificationBatch b : ClassificationTask.inOrder(rows, labelIds, batchSize)) ev.add(b);
        } finally {
            model.module().train(was);
        }
        return ev.result();
    }

    int labelId(String label) {
        int id = model.labels().indexOf(label);
        if (id < 0) throw new IllegalArgumentException("label '" + label + "' is not one of the model's labels " + model.labels());
        return id;
    }

    @Override
    public void close() {
        base.close();
    }

}
