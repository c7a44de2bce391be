package dev.tune4j.recipe;

import dev.tune4j.data.Example;
import dev.tune4j.data.Schema;
import dev.tune4j.data.collate.LengthBuckets;
import dev.tune4j.generate.StopTokens;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.Transformer;
import dev.tune4j.train.Batches;
import dev.tune4j.train.ReferenceModel;
import dev.tune4j.train.Trainer;
import dev.tune4j.train.preference.PairLoss;
import dev.tune4j.train.preference.PreferenceBatch;
import dev.tune4j.train.preference.PreferenceObjective;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The preference tasks on a decoder: {@code dpo} (sigmoid or IPO loss against the starting policy),
 * {@code orpo} and {@code simpo} (no reference). Rows of prompt, chosen and rejected go through the
 * chat template as in sft, the loss on the completion tokens ({@link SftRows#completionRow}). DPO's
 * reference is the starting policy, scored once on every pair before the first update (LoRA: the
 * adapters are still zero; full fine-tuning: the weights not yet changed), so a step runs the policy
 * only and no second copy of the weights is kept.
 */
final class PreferenceTask {
    private PreferenceTask() {}

    static FineTune.Run run(RecipeLoader.Resolved resolved, RunFolder folder, FineTune.Options opts) {
        Recipe r = resolved.recipe();
        long t0 = System.nanoTime();
        RunData data = RunData.load(r, Schema.PREFERENCE, folder.resolve("data"));
        if (data.validation().isEmpty()) throw new IllegalArgumentException("data.validation: no validation rows (give a fraction > 0 or a file)");
        for (String leak : data.leaks()) opts.progress().message("warning: leakage: " + leak + " also occurs in the training data");
        PretrainedModel base = ClassificationTask.open(r);
        try {
            Transformer lm = LanguageModelTask.decoder(r, base);
            Artifacts.Trainable trainable = LanguageModelTask.trainable(base, lm);
            Artifacts.Method method = Artifacts.apply(r, base, trainable);
            Methods.Counts counts = Methods.counts(base.module());
            SftRows rows = SftRows.of(r, base);
            PairLoss loss = loss(r);
            Map<String, Object> report = new LinkedHashMap<>();
            List<PreferenceBatch.Pair> train = pairs(rows, data.train(), report, "train"), val = pairs(rows, data.validation(), report, "validation");
            List<PreferenceBatch.Pair> test = pairs(rows, data.test(), report, "test");
            if (train.isEmpty()) throw new IllegalArgumentException("data.train: no preference pair left after tokenizing (max_length cut every completion?)");
            if (val.isEmpty()) throw new IllegalArgumentException("data.validation: no preference pair left after tokenizing");
            if (loss.needsReference()) {
                // before any update the policy is the reference: score every split now
                ReferenceModel start = ReferenceModel.frozen(lm);
                int b = r.eval().batchSize();
                train = PreferenceObjective.withReference(train, start, b);
                val = PreferenceObjective.withReference(val, start, b);
                test = PreferenceObjective.withReference(test, start, b);
            }
            double dataSeconds = (System.nanoTime() - t0) / 1e9;
            Trainer<PreferenceBatch> trainer = new Trainer<>(base.module(), new PreferenceObjective(lm, loss), ClassificationTask.trainConfig(r));
            TrainingRun<PreferenceBatch> run = new TrainingRun<>(resolved, folder, opts, t0);
            if (!r.eval().samples().isEmpty()) {
                run.sampleAtEvaluation(Samples.of(r, lm, base.requireTokenizer(), SftRows.promptEncoder(rows.template(), base.requireTokenizer(), r.sft().systemPrompt()),
                        StopTokens.of(base, SftRows.endOfTurn(rows.template())), folder, opts));
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("preference", Map.of("loss", loss.kind().id, "beta", loss.beta(), "reference", loss.needsReference() ? "starting policy, scored before training" : "none"));
            extra.put("pairs", report);
            List<PreferenceBatch.Pair> testPairs = test;
            Map<String, Object> results = run.run(r.task(), base, data, dataSeconds, trainer, batches(train, r), group(val, r.eval().batchSize()),
                    () -> group(testPairs, r.eval().batchSize()), counts, extra, method, trainable);
            return new FineTune.Run(folder.dir(), results, null);
        } finally {
            base.close();
        }
    }

    /** The pair loss a preference task's recipe names. */
    static PairLoss loss(Recipe r) {
        Recipe.Preference p = r.preference();
        return switch (r.task()) {
            case "dpo" -> p.loss().equals("ipo") ? PairLoss.ipo(p.beta()) : PairLoss.dpo(p.beta(), p.labelSmoothing());
            case "orpo" -> PairLoss.orpo(p.orpoLambda());
            case "simpo" -> PairLoss.simpo(p.beta(), p.simpoGamma(), p.labelSmoothing());
            case "reward" -> PairLoss.bradleyTerry(p.rewardMargin());
            default -> throw new IllegalArgumentException("task " + r.task() + " is not a preference task");
        };
    }

    /** Each row's chosen and rejected completions after its prompt; pairs with a side cut away entirely are dropped and counted. */
    static List<PreferenceBatch.Pair> pairs(SftRows rows, List<Example> examples, Map<String, Object> report, String split) {
        List<PreferenceBatch.Pair> out = new ArrayList<>();
        for (Example e : examples) {
            var chosen = rows.completionRow(e.texts[0], e.texts[1]);
            var rejected = rows.completionRow(e.texts[0], e.texts[2]);
            if (chosen != null && rejected != null) out.add(new PreferenceBatch.Pair(chosen, rejected, Double.NaN, Double.NaN));
        }
        report.put(split, Map.of("rows", examples.size(), "pairs", out.size(), "dropped_without_completion_tokens", examples.size() - out.size()));
        return out;
    }

    static List<PreferenceBatch> group(List<PreferenceBatch.Pair> pairs, int size) {
        List<PreferenceBatch> out = new ArrayList<>();
        for (int from = 0; from < pairs.size(); from += size) out.add(PreferenceBatch.collate(pairs.subList(from, Math.min(pairs.size(), from + size))));
        return out;
    }

    /** Training batches of train.batch_size pairs, similar lengths together, in a seeded order per epoch. */
    private static Batches<PreferenceBatch> batches(List<PreferenceBatch.Pair> pairs, Recipe r) {
        int[] lengths = new int[pairs.size()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = Math.max(pairs.get(i).chosen().tokens().seq(), pairs.get(i).rejected().tokens().seq());
        LengthBuckets order = new LengthBuckets(lengths, r.train().batchSize(), r.train().seed(), r.train().bucketByLength());
        return new Batches<>() {
            public int perEpoch() { return order.batchesPerEpoch(); }

            public Iterator<PreferenceBatch> epoch(int epoch) {
                return order.epoch(epoch).stream().map(idx -> {
                    List<PreferenceBatch.Pair> parts = new ArrayList<>();
                    for (int i : idx) parts.add(pairs.get(i));
                    return PreferenceBatch.collate(parts);
                }).iterator();
            }

            public long tokens(PreferenceBatch b) { return b.rows().tokens().ids().length; }
        };
    }
}
