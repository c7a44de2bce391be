package dev.tune4j.recipe;

import dev.tune4j.data.Example;
import dev.tune4j.data.Replay;
import dev.tune4j.data.Schema;
import dev.tune4j.data.collate.LengthBuckets;
import dev.tune4j.data.collate.LmRows;
import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.generate.StopTokens;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.Transformer;
import dev.tune4j.tokenizer.Tokenizer;
import dev.tune4j.train.Batches;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.Trainer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder tasks: {@code causal_lm} (plain text: rows tokenized with an end-of-sequence token,
 * packed end to end and cut into windows of {@code max_length}, loss on every token) and
 * {@code sft} (instructions and chats rendered through the chat template, loss on the responses).
 * Both share the rest: replay rows mixed into the training stream, a general-domain held-out set
 * scored before and after (forgetting), sample generations at each evaluation, perplexity.
 */
final class LanguageModelTask {
    private LanguageModelTask() {}

    static FineTune.Run run(RecipeLoader.Resolved resolved, RunFolder folder, FineTune.Options opts) {
        Recipe r = resolved.recipe();
        long t0 = System.nanoTime();
        boolean sft = r.task().equals("sft");
        RunData data = RunData.load(r, sft ? null : Schema.TEXT, folder.resolve("data"));
        if (data.validation().isEmpty()) throw new IllegalArgumentException("data.validation: no validation rows (give a fraction > 0 or a file)");
        for (String leak : data.leaks()) opts.progress().message("warning: leakage: " + leak + " also occurs in the training data");
        PretrainedModel base = ClassificationTask.open(r);
        try {
            Transformer lm = decoder(r, base);
            Artifacts.Trainable trainable = trainable(base, lm);
            Artifacts.Method method = Artifacts.apply(r, base, trainable);
            Methods.Counts counts = Methods.counts(base.module());
            lm.setNeftuneAlpha(r.sft().neftuneAlpha());
            Tokenizer tok = base.requireTokenizer();
            int window = r.data().maxLength();
            SftRows sftRows = sft ? SftRows.of(r, base) : null;
            LmRowBuilder builder = sft ? sftRows::rows : examples -> windows(tok, examples, window);

            List<LmBatch> train = builder.rows(data.train()), val = builder.rows(data.validation());
            Map<String, Object> extra = new LinkedHashMap<>();
            if (sft) extra.put("sft", sftRows.report);
            if (r.replay().data() != null && r.replay().ratio() > 0) {
                List<LmBatch> replay = replayRows(r, tok, builder, window);
                int before = train.size();
                train = Replay.mix(train, replay, r.replay().ratio(), r.train().seed());
                extra.put("replay", Map.of("data", r.replay().data(), "ratio", r.replay().ratio(), "domain_rows", before,
                        "replay_rows", train.size() - before, "source_rows", replay.size()));
            }
            if (train.isEmpty()) throw new IllegalArgumentException("data.train: no training rows left after tokenizing");
            double dataSeconds = (System.nanoTime() - t0) / 1e9;

            Trainer<LmBatch> trainer = new Trainer<>(base.module(), new CausalLmObjective(lm), ClassificationTask.trainConfig(r));
            TrainingRun<LmBatch> run = new TrainingRun<>(resolved, folder, opts, t0);
            if (r.eval().general() != null) {
                List<Example> general = RunData.extra(r, "eval.general", r.eval().general(), Schema.TEXT);
                run.alsoScore("general", LmRows.group(windows(tok, general, window), r.eval().batchSize()));
            }
            if (!r.eval().samples().isEmpty()) {
                PromptEncoder encoder = sft ? SftRows.promptEncoder(sftRows.template(), tok, r.sft().systemPrompt()) : PromptEncoder.plain(tok);
                run.sampleAtEvaluation(Samples.of(r, lm, tok, encoder, StopTokens.of(base, sft ? SftRows.endOfTurn(sftRows.template()) : List.of()), folder, opts));
            }
            Map<String, Object> results = run.run(r.task(), base, data, dataSeconds, trainer, batches(train, r),
                    LmRows.group(val, r.eval().batchSize()), () -> LmRows.group(builder.rows(data.test()), r.eval().batchSize()), counts,
                    extra, method, trainable);
            return new FineTune.Run(folder.dir(), results, null);
        } finally {
            base.close();
        }
    }

    /** The model as a decoder with a language-model head, or a clear refusal. */
    static Transformer decoder(Recipe r, PretrainedModel base) {
        Transformer lm = base.model();
        if (!lm.config.lmHead || !lm.config.causal) {
            throw new IllegalArgumentException(r.model() + " is not a decoder with a language-model head; task " + r.task()
                    + " needs one (Llama, Qwen2, Mistral, GPT-2)");
        }
        return lm;
    }

    /** A decoder as a method trains it: the whole module, with the LM head as its head. */
    static Artifacts.Trainable trainable(PretrainedModel base, Transformer lm) {
        return new Artifacts.Trainable(base.module(), lm, lm.lmHead == null ? List.of() : lm.lmHead.parameters(), null, null);
    }

    /** How a task's examples become language-model rows. */
    interface LmRowBuilder {
        List<LmBatch> rows(List<Example> examples);
    }

    /** Replay data: plain text as windows; instruction or chat rows (under sft) through the task's own builder. */
    private static List<LmBatch> replayRows(Recipe r, Tokenizer tok, LmRowBuilder builder, int window) {
        List<Example> rows = RunData.extra(r, "replay.data", r.replay().data(), null);
        List<Example> text = new ArrayList<>(), structured = new ArrayList<>();
        for (Example e : rows) (e.schema == Schema.TEXT || e.schema == Schema.CLASSIFICATION ? text : structured).add(e);
        List<LmBatch> out = new ArrayList<>(windows(tok, text, window));
        if (!structured.isEmpty()) {
            if (!r.task().equals("sft")) {
                throw new IllegalArgumentException("replay.data: " + r.replay().data() + " holds " + structured.getFirst().schema.name().toLowerCase()
                        + " rows; task causal_lm replays plain text (a 'text' field)");
            }
            out.addAll(builder.rows(structured));
        }
        return out;
    }

    /** Rows tokenized and packed end to end, cut into windows of {@code window} inputs with their next tokens. */
    static List<LmBatch> windows(Tokenizer tok, List<Example> rows, int window) {
        int eos = tok.specialTokens().eos();
        List<Integer> stream = new ArrayList<>();
        for (Example e : rows) {
            int[] ids = tok.encode(e.texts[0], Integer.MAX_VALUE).ids();
            for (int id : ids) stream.add(id);
            if (eos >= 0 && (ids.length == 0 || ids[ids.length - 1] != eos)) stream.add(eos);
        }
        List<LmBatch> out = new ArrayList<>();
        for (int s = 0; s + 1 < stream.size(); s += window) {
            int n = Math.min(window, stream.size() - 1 - s);
            int[] ids = new int[n], targets = new int[n];
            for (int t = 0; t < n; t++) {
                ids[t] = stream.get(s + t);
                targets[t] = stream.get(s + t + 1);
            }
            out.add(LmRows.row(ids, targets, null, null));
        }
        return out;
    }

    /** Training batches: similar lengths together (when bucketing), in a seeded order per epoch. */
    private static Batches<LmBatch> batches(List<LmBatch> rows, Recipe r) {
        int[] lengths = new int[rows.size()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = rows.get(i).tokens().seq();
        LengthBuckets order = new LengthBuckets(lengths, r.train().batchSize(), r.train().seed(), r.train().bucketByLength());
        return new Batches<>() {
            public int perEpoch() { return order.batchesPerEpoch(); }

            public Iterator<LmBatch> epoch(int epoch) {
                return order.epoch(epoch).stream().map(idx -> {
                    List<LmBatch> parts = new ArrayList<>();
                    for (int i : idx) parts.add(rows.get(i));
                    return LmRows.collate(parts);
                }).iterator();
            }

            public long tokens(LmBatch b) { return b.tokens().ids().length; }
        };
    }
}
