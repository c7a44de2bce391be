package dev.tune4j.recipe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A trained reward model (a {@code task: reward} run folder, or any {@code *ForSequenceClassification}
 * folder with one label) scoring a prompt and its completion. Training and scoring join the two
 * the same way ({@link #text}), so RL rewards are on the scale the model learned.
 */
public final class RewardModel implements AutoCloseable {
    private final TextClassifier classifier;

    private RewardModel(TextClassifier classifier) {
        if (classifier.model().numLabels() != 1) {
            classifier.close();
            throw new IllegalArgumentException("a reward model has one output (num_labels 1); this classifier has labels " + classifier.labels());
        }
        this.classifier = classifier;
    }

    /** A reward run folder or a classifier folder (with a PEFT adapter, or null). */
    public static RewardModel load(Path runOrModel, Path adapter) {
        return new RewardModel(FineTune.load(runOrModel, adapter));
    }

    /** What a reward model reads: the prompt, a blank line, the completion. */
    public static String text(String prompt, String completion) {
        return prompt + "\n\n" + completion;
    }

    /** One score per (prompt, completion), in batches, without a tape. */
    public double[] score(List<String> prompts, List<String> completions) {
        if (prompts.size() != completions.size()) throw new IllegalArgumentException(prompts.size() + " prompts for " + completions.size() + " completions");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) texts.add(text(prompts.get(i), completions.get(i)));
        float[] s = classifier.logits(texts);
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) out[i] = s[i];
        return out;
    }

    @Override
    public void close() {
        classifier.close();
    }
}
