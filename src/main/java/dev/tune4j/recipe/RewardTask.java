package dev.tune4j.recipe;

import dev.tune4j.data.Example;
import dev.tune4j.data.Schema;
import dev.tune4j.data.collate.LengthBuckets;
import dev.tune4j.data.collate.TokenRows;
import dev.tune4j.model.ClassifierSpec;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.train.Batches;
import dev.tune4j.train.Trainer;
import dev.tune4j.train.preference.RewardObjective;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code task: reward}: a sequence classifier with one output (a decoder's last real token and
 * {@code score}, or BERT's classifier) trained on preference rows with the Bradley-Terry loss; held
 * out, its pairwise accuracy and mean margin. Saved as a {@code *ForSequenceClassification} with
 * one label and {@code problem_type: regression}, which transformers'
 * {@code AutoModelForSequenceClassification} loads; {@link RewardModel} scores with it.
 */
final class RewardTask {
    private RewardTask() {}

    static FineTune.Run run(RecipeLoader.Resolved resolved, RunFolder folder, FineTune.Options opts) {
        Recipe r = resolved.recipe();
        long t0 = System.nanoTime();
        RunData data = RunData.load(r, Schema.PREFERENCE, folder.resolve("data"));
        if (data.validation().isEmpty()) throw new IllegalArgumentException("data.validation: no validation rows (give a fraction > 0 or a file)");
        PretrainedModel base = ClassificationTask.open(r);
        try {
            SequenceClassifier model = base.classifier(new ClassifierSpec(List.of("reward"), null, false, r.train().seed()));
            Artifacts.Trainable trainable = Artifacts.Trainable.of(model);
            Artifacts.Method method = Artifacts.apply(r, base, trainable);
            Methods.Counts counts = Methods.counts(model.module());
            TokenRows train = rows(base, data.train(), r), val = rows(base, data.validation(), r);
            double dataSeconds = (System.nanoTime() - t0) / 1e9;
            Trainer<TokenBatch> trainer = new Trainer<>(model.module(), new RewardObjective(model, r.preference().rewardMargin()), ClassificationTask.trainConfig(r));
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("reward", Map.of("loss", "bradley_terry", "margin", r.preference().rewardMargin(), "input", "prompt + blank line + completion"));
            Map<String, Object> results = new TrainingRun<TokenBatch>(resolved, folder, opts, t0).run("reward", base, data, dataSeconds, trainer,
                    batches(train, r), inOrder(val, r.eval().batchSize()), () -> inOrder(rows(base, data.test(), r), r.eval().batchSize()), counts, extra,
                    method, trainable);
            return new FineTune.Run(folder.dir(), results, null);
        } finally {
            base.close();
        }
    }

    /** Rows 2i and 2i + 1: example i's prompt with its chosen, then its rejected completion. */
    private static TokenRows rows(PretrainedModel base, List<Example> examples, Recipe r) {
        List<String> texts = new ArrayList<>();
        for (Example e : examples) {
            texts.add(RewardModel.text(e.texts[0], e.texts[1]));
            texts.add(RewardModel.text(e.texts[0], e.texts[2]));
        }
        return TokenRows.encode(base.requireTokenizer(), texts, r.data().maxLength());
    }

    /** Pairs (by index) as one batch: the chosen rows first, then the rejected ones in the same order. */
    private static TokenBatch batch(TokenRows rows, int[] pairs) {
        int n = pairs.length;
        int[] idx = new int[2 * n];
        for (int i = 0; i < n; i++) {
            idx[i] = 2 * pairs[i];
            idx[n + i] = 2 * pairs[i] + 1;
        }
        return rows.batch(idx);
    }

    private static List<TokenBatch> inOrder(TokenRows rows, int size) {
        List<TokenBatch> out = new ArrayList<>();
        int pairs = rows.size() / 2;
        for (int from = 0; from < pairs; from += size) {
            int[] idx = new int[Math.min(pairs, from + size) - from];
            for (int i = 0; i < idx.length; i++) idx[i] = from + i;
            out.add(batch(rows, idx));
        }
        return out;
    }

    private static Batches<TokenBatch> batches(TokenRows rows, Recipe r) {
        int pairs = rows.size() / 2;
        int[] lengths = new int[pairs];
        for (int i = 0; i < pairs; i++) lengths[i] = Math.max(rows.row(2 * i).length, rows.row(2 * i + 1).length);
        LengthBuckets order = new LengthBuckets(lengths, r.train().batchSize(), r.train().seed(), r.train().bucketByLength());
        return new Batches<>() {
            public int perEpoch() { return order.batchesPerEpoch(); }

            public Iterator<TokenBatch> epoch(int epoch) {
                return order.epoch(epoch).stream().map(idx -> batch(rows, idx)).iterator();
            }

            public long tokens(TokenBatch b) { return b.ids().length; }
        };
    }
}
