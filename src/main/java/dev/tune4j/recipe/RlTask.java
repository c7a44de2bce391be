package dev.tune4j.recipe;

import dev.tune4j.data.Example;
import dev.tune4j.generate.Generator;
import dev.tune4j.generate.PromptEncoder;
import dev.tune4j.generate.Sampling;
import dev.tune4j.generate.StopTokens;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.tokenizer.Tokenizer;
import dev.tune4j.train.Batches;
import dev.tune4j.train.ReferenceModel;
import dev.tune4j.train.TrainConfig;
import dev.tune4j.train.Trainer;
import dev.tune4j.train.rl.PolicyLoss;
import dev.tune4j.train.rl.RewardFunction;
import dev.tune4j.train.rl.RlBatch;
import dev.tune4j.train.rl.RlObjective;
import dev.tune4j.train.rl.Rollouts;
import dev.tune4j.train.rl.ValueHead;
import dev.tune4j.train.rl.ValueLoss;

import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code task: grpo} and {@code task: ppo}: the policy samples completions for the rows' prompts
 * (rendered through the chat template with the generation prompt), a reward model scores them and
 * the trainer optimises {@link RlObjective} on each rollout batch ({@link Rollouts}). The reference
 * is the starting policy: under LoRA the same model with the adapters off, under full fine-tuning a
 * second, frozen instance of the checkpoint (its weights mapped from the file). Validation and test
 * sample fresh completions for their prompts with a fixed seed each time they are scored: their
 * {@code reward} (the mean reward-model score) and {@code kl} (summed per sequence) are the figures
 * to watch; their loss is the surrogate at ratio 1 and means little.
 */
final class RlTask {
    private RlTask() {}

    static FineTune.Run run(RecipeLoader.Resolved resolved, RunFolder folder, FineTune.Options opts) {
        Recipe r = resolved.recipe();
        long t0 = System.nanoTime();
        boolean ppo = r.task().equals("ppo");
        RunData data = RunData.load(r, null, folder.resolve("data"));
        if (data.validation().isEmpty()) throw new IllegalArgumentException("data.validation: no validation rows (give a fraction > 0 or a file)");
        PretrainedModel base = ClassificationTask.open(r);
        PretrainedModel frozen = null;
        try (RewardModel rewardModel = RewardModel.load(Path.of(r.rl().reward()), null)) {
            Transformer lm = LanguageModelTask.decoder(r, base);
            Artifacts.Trainable trainable = LanguageModelTask.trainable(base, lm);
            Artifacts.Method method = Artifacts.apply(r, base, trainable);
            Tokenizer tok = base.requireTokenizer();
            var template = SftRows.template(r.sft().template(), base);
            PromptEncoder encoder = SftRows.promptEncoder(template, tok, r.sft().systemPrompt());
            Map<int[], String> promptTexts = new IdentityHashMap<>();
            List<int[]> train = prompts(data.train(), encoder, promptTexts), val = prompts(data.validation(), encoder, promptTexts);
            List<int[]> test = prompts(data.test(), encoder, promptTexts);
            ReferenceModel reference;
            if (method instanceof Artifacts.AdapterMethod a) {
                reference = ReferenceModel.adapterOff(lm, a.adapters());
            } else {
                frozen = ClassificationTask.open(r);
                frozen.model().train(false);
                reference = ReferenceModel.frozen(frozen.model());
            }
            RewardFunction reward = (prompts, completions) -> {
                List<String> p = new ArrayList<>(), c = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) {
                    p.add(promptTexts.get(prompts.get(i)));
                    c.add(tok.decode(completions.get(i), true));
                }
                return rewardModel.score(p, c);
            };
            Recipe.Rl rl = r.rl();
            ValueHead value = ppo ? new ValueHead(lm.config.hidden) : null;
            Sampling sampling = new Sampling(rl.temperature(), 0, rl.topP(), 1.0, rl.maxNewTokens(), List.of(), r.train().seed());
            Rollouts.Config config = new Rollouts.Config(rl.prompts(), rl.samples(), sampling, rl.epochs(), ppo, !rl.aggregation().equals("dr_grpo"),
                    rl.klCoef(), rl.klTarget(), rl.gamma(), rl.lam(), r.train().seed());
            Generator generator = new Generator(lm, tok, StopTokens.of(base, SftRows.endOfTurn(template)));
            Rollouts rollouts = new Rollouts(lm, generator, train, reward, reference, value, config);
            // ppo: the KL is in the reward, not the loss; grpo: the KL term's weight is kl_coef
            PolicyLoss loss = new PolicyLoss(rl.clipLow(), rl.clipHigh(), ppo ? PolicyLoss.Aggregation.DAPO : PolicyLoss.Aggregation.parse(rl.aggregation()),
                    rl.importance().equals("sequence"), ppo ? 0 : rl.klCoef(), rl.maxNewTokens());
            Module trained = ppo ? value.besides(base.module()) : base.module();
            Methods.Counts counts = Methods.counts(trained);
            TrainConfig tc = ClassificationTask.trainConfig(r);
            Trainer<RlBatch> trainer = new Trainer<>(trained, new RlObjective(lm, loss, value, new ValueLoss(rl.valueClip()), rl.valueCoef()), tc);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("rl", Map.of("algorithm", r.task(), "reward", rl.reward(), "reference", method instanceof Artifacts.AdapterMethod ? "adapters off" : "frozen copy",
                    "prompts", Map.of("train", train.size(), "validation", val.size(), "test", test.size())));
            double dataSeconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> results = new TrainingRun<RlBatch>(resolved, folder, opts, t0).run(r.task(), base, data, dataSeconds, trainer,
                    Batches.stream(rollouts), sampled(rollouts, val, rl.prompts() * rl.samples(), r.train().seed() + 1),
                    () -> sampled(rollouts, test, rl.prompts() * rl.samples(), r.train().seed() + 2), counts, extra, method, trainable);
            if (ppo) results.put("kl_coef_final", rollouts.klCoef());
            folder.writeJson(RunFolder.RESULTS, results);
            return new FineTune.Run(folder.dir(), results, null);
        } finally {
            if (frozen != null) frozen.close();
            base.close();
        }
    }

    /** Each row's prompt, rendered for generation: preference and text rows' first field, an instruction (and input), a chat's first user turn. */
    static List<int[]> prompts(List<Example> rows, PromptEncoder encoder, Map<int[], String> texts) {
        List<int[]> out = new ArrayList<>();
        for (Example e : rows) {
            String prompt = switch (e.schema) {
                case PREFERENCE, TEXT, CLASSIFICATION -> e.texts[0];
                case INSTRUCTION -> e.texts[1] == null || e.texts[1].isEmpty() ? e.texts[0] : e.texts[0] + "\n\n" + e.texts[1];
                case CHAT -> {
                    String first = null;
                    for (int i = 0; i < e.texts.length && first == null; i++) if (e.roles[i].equals("user")) first = e.texts[i];
                    if (first == null) throw new IllegalArgumentException(e.origin + ": a chat row with no user turn has no prompt");
                    yield first;
                }
            };
            int[] ids = encoder.encode(prompt);
            texts.put(ids, prompt);
            out.add(ids);
        }
        return out;
    }

    /**
     * Held-out prompts as rollout batches sampled when read, with the policy as it is then (and a
     * fixed seed), so each evaluation scores fresh completions.
     */
    private static List<RlBatch> sampled(Rollouts rollouts, List<int[]> prompts, int perBatch, long seed) {
        int size = Math.max(1, perBatch);
        return new AbstractList<>() {
            public RlBatch get(int i) {
                return rollouts.rollout(prompts.subList(i * size, Math.min(prompts.size(), (i + 1) * size)), seed + i);
            }

            public int size() { return Math.ceilDiv(prompts.size(), size); }
        };
    }
}
