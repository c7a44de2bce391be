package dev.tune4j.recipe;

import dev.tune4j.io.IoErrors;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.data.Example;
import dev.tune4j.data.Schema;
import dev.tune4j.data.collate.LengthBuckets;
import dev.tune4j.data.collate.TokenRows;
import dev.tune4j.model.ClassifierSpec;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.train.Batches;
import dev.tune4j.train.ClassificationBatch;
import dev.tune4j.train.ClassificationObjective;
import dev.tune4j.train.TrainConfig;
import dev.tune4j.train.Trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Sequence classification end to end: rows from the data pipeline -> labels -> tokens -> a
 * classifier on the pre-trained model -> the method (full, partial, LoRA) -> the trainer, evaluating
 * the validation split as it goes -> the test split scored once -> the best weights saved.
 */
final class ClassificationTask {
    private ClassificationTask() {}

    static FineTune.Run run(RecipeLoader.Resolved resolved, RunFolder folder, FineTune.Options opts) {
        Recipe r = resolved.recipe();
        long t0 = System.nanoTime();
        RunData data = RunData.load(r, Schema.CLASSIFICATION, folder.resolve("data"));
        List<String> labels = labels(r, data);
        double dataSeconds = (System.nanoTime() - t0) / 1e9;
        if (data.validation().isEmpty()) throw new IllegalArgumentException("data.validation: no validation rows (give a fraction > 0 or a file)");
        for (String leak : data.leaks()) opts.progress().message("warning: leakage: " + leak + " also occurs in the training data");

        PretrainedModel base = open(r);
        try {
            Map<String, Object> extra = new LinkedHashMap<>(Map.of("labels", labels));
            if (!r.data().audit().equals("none")) {
                Map<String, Object> audit = new LinkedHashMap<>();
                data = DataAudit.inRun(r, base, data, labels, folder.resolve("audit"), opts, audit);
                extra.put("audit", audit);
            }
            SequenceClassifier model = base.classifier(new ClassifierSpec(labels, pooling(r), false, r.train().seed()));
            Artifacts.Trainable trainable = Artifacts.Trainable.of(model);
            Artifacts.Method method = Artifacts.apply(r, base, trainable);
            Methods.Counts counts = Methods.counts(model.module());
            TextClassifier classifier = new TextClassifier(base, model, r.data().maxLength(), data.cleaning(), r.eval().batchSize());

            TokenRows train = rows(base, data.train(), r), val = rows(base, data.validation(), r);
            int[] trainY = ids(classifier, data.train()), valY = ids(classifier, data.validation());
            ClassificationObjective objective = new ClassificationObjective(model, classWeights(r, labels, trainY));
            TrainConfig tc = trainConfig(r);
            Trainer<ClassificationBatch> trainer = new Trainer<>(model.module(), objective, tc);
            List<ClassificationBatch> valBatches = inOrder(val, valY, r.eval().batchSize());

            TokenRows testRows = data.test().isEmpty() ? null : rows(base, data.test(), r);
            int[] testY = data.test().isEmpty() ? null : ids(classifier, data.test());
            Map<String, Object> results = new TrainingRun<ClassificationBatch>(resolved, folder, opts, t0).run("classification", base, data,
                    dataSeconds, trainer, batches(train, trainY, r), valBatches, () -> inOrder(testRows, testY, r.eval().batchSize()), counts,
                    extra, method, trainable);
            return new FineTune.Run(folder.dir(), results, classifier);
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    static PretrainedModel open(String spec) {
        return open(spec, ModelLoader.Options.DEFAULT);
    }

    /** The recipe's model; with {@code train.init: random} a folder may hold only config.json (and tokenizer files). */
    static PretrainedModel open(Recipe r) {
        return open(r.model(), new ModelLoader.Options(null, null, null, r.train().init().equals("random")));
    }

    private static PretrainedModel open(String spec, ModelLoader.Options options) {
        try {
            return ModelLoader.load(spec, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + spec + ": " + IoErrors.describe(e), e);
        }
    }

    private static SequenceClassifier.Pooling pooling(Recipe r) {
        return r.classification().pooling().equals("mean") ? SequenceClassifier.Pooling.MEAN : null;
    }

    /** The recipe's labels, else the sorted labels of the training rows; validation and test labels must be among them. */
    static List<String> labels(Recipe r, RunData data) {
        List<String> labels = r.data().labels() != null ? r.data().labels() : new ArrayList<>(new TreeSet<>(data.train().stream().map(e -> e.label).toList()));
        if (labels.size() < 2) throw new IllegalArgumentException("data.train: classification needs at least 2 labels, found " + labels);
        for (List<Example> split : List.of(data.validation(), data.test())) {
            for (Example e : split) {
                if (!labels.contains(e.label)) throw new IllegalArgumentException("label '" + e.label + "' of " + e.origin + " does not occur in the training rows " + labels);
            }
        }
        return labels;
    }

    static TokenRows rows(PretrainedModel base, List<Example> rows, Recipe r) {
        return TokenRows.encode(base.requireTokenizer(), rows.stream().map(e -> e.texts[0]).toList(), r.data().maxLength());
    }

    private static int[] ids(TextClassifier c, List<Example> rows) {
        int[] y = new int[rows.size()];
        for (int i = 0; i < y.length; i++) y[i] = c.labelId(rows.get(i).label);
        return y;
    }

    /** Balanced: n / (k · n_c), as scikit-learn's class_weight='balanced'. */
    private static float[] classWeights(Recipe r, List<String> labels, int[] y) {
        JsonNode w = r.classification().classWeights();
        if (w == null || w.isNull()) return null;
        float[] out = new float[labels.size()];
        if (w.isTextual()) {
            long[] n = new long[labels.size()];
            for (int c : y) n[c]++;
            for (int c = 0; c < out.length; c++) out[c] = n[c] == 0 ? 0f : (float) (y.length / ((double) labels.size() * n[c]));
            return out;
        }
        for (int c = 0; c < out.length; c++) {
            JsonNode v = w.get(labels.get(c));
            if (v == null || !v.isNumber() || v.asDouble() < 0) {
                throw new IllegalArgumentException("classification.class_weights: give a weight >= 0 for every label " + labels + " (missing or bad for '" + labels.get(c) + "')");
            }
            out[c] = (float) v.asDouble();
        }
        return out;
    }

    static TrainConfig trainConfig(Recipe r) {
        TrainConfig tc = new TrainConfig();
        tc.epochs = r.train().epochs();
        tc.steps = r.train().maxSteps() > 0 ? r.train().maxSteps() : Integer.MAX_VALUE;
        tc.gradAccumulation = r.train().gradAccumulation();
        tc.optimizer = r.optimizer().name();
        tc.lr = r.optimizer().lr();
        tc.weightDecay = r.optimizer().weightDecay();
        tc.beta1 = r.optimizer().betas().get(0);
        tc.beta2 = r.optimizer().betas().get(1);
        tc.adamEps = r.optimizer().eps();
        tc.momentum = r.optimizer().momentum();
        tc.schedule = r.schedule().name();
        tc.warmupSteps = r.schedule().warmupSteps();
        tc.minLrRatio = r.schedule().minLrRatio();
        tc.clipNorm = r.train().clipNorm();
        tc.evalEvery = r.eval().every();
        tc.evalMetric = r.evalMetric();
        tc.earlyStoppingPatience = r.eval().earlyStoppingPatience();
        tc.earlyStoppingMinDelta = r.eval().minDelta();
        tc.restoreBest = r.eval().restoreBest();
        tc.logEvery = r.log().every();
        tc.checkpointEvery = r.checkpoint().every();
        tc.seed = r.train().seed();
        tc.l2Sp = r.regularization().l2Sp();
        return tc;
    }

    /** Training batches: length-bucketed, reshuffled each epoch from the seed. */
    static Batches<ClassificationBatch> batches(TokenRows rows, int[] labels, Recipe r) {
        LengthBuckets buckets = new LengthBuckets(rows.lengths(), r.train().batchSize(), r.train().seed(), r.train().bucketByLength());
        return new Batches<>() {
            public int perEpoch() { return buckets.batchesPerEpoch(); }

            public Iterator<ClassificationBatch> epoch(int epoch) {
                return buckets.epoch(epoch).stream().map(idx -> batch(rows, labels, idx)).iterator();
            }

            public long tokens(ClassificationBatch b) { return (long) b.tokens().batch() * b.tokens().seq(); }
        };
    }

    /** Evaluation batches in row order. */
    static List<ClassificationBatch> inOrder(TokenRows rows, int[] labels, int batchSize) {
        List<ClassificationBatch> out = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += batchSize) {
            int[] idx = new int[Math.min(batchSize, rows.size() - from)];
            for (int i = 0; i < idx.length; i++) idx[i] = from + i;
            out.add(batch(rows, labels, idx));
        }
        return out;
    }

    private static ClassificationBatch batch(TokenRows rows, int[] labels, int[] idx) {
        int[] y = new int[idx.length];
        for (int i = 0; i < idx.length; i++) y[i] = labels[idx[i]];
        return new ClassificationBatch(rows.batch(idx), y);
    }

}
