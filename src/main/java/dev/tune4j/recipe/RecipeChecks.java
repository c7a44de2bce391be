package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** The ranges and choices of a recipe's values, each error naming the key and the value given. */
final class RecipeChecks {
    private RecipeChecks() {}

    static void check(Recipe r, String src) {
        require(r.model() != null && !r.model().isBlank(), src, "'model' is required (a Hugging Face folder, a Hub id org/name[@revision], builtin:all-minilm-l6-v2 or onnx:PATH.onnx)");
        oneOf(src, "task", r.task(), List.of("classification", "causal_lm", "sft", "dpo", "orpo", "simpo", "reward", "grpo", "ppo"));
        oneOf(src, "method", r.method(), List.of("full", "partial", "lora", "head"));
        require(r.output() != null && !r.output().isBlank(), src, "'output' is required (the run folder)");

        Recipe.Data d = r.data();
        require(d.train() != null && !d.train().isBlank(), src, "'data.train' is required (a data file or a prepared folder)");
        split(src, "data.validation", d.validation());
        split(src, "data.test", d.test());
        if (d.validation().isNumber() && d.test().isNumber()) {
            require(d.validation().asDouble() + d.test().asDouble() < 1, src, "'data.validation' + 'data.test' must leave rows for training, got "
                    + d.validation().asDouble() + " + " + d.test().asDouble());
        }
        range(src, "data.max_length", d.maxLength(), 2, 1 << 20);
        if (d.labels() != null) require(d.labels().size() >= 2, src, "'data.labels' needs at least 2 classes, got " + d.labels());
        oneOf(src, "data.audit", d.audit(), List.of("none", "report", "drop"));
        require(d.audit().equals("none") || r.task().equals("classification"), src,
                "'data.audit' audits the labels of classification data; for other data run tune4j data audit --task sft|preference");

        range(src, "partial.freeze_layers", r.partial().freezeLayers(), 0, 10_000);
        Recipe.Lora l = r.lora();
        range(src, "lora.r", l.r(), 1, 4096);
        require(l.alpha() > 0 && Double.isFinite(l.alpha()), src, "'lora.alpha' must be positive, got " + l.alpha());
        require(l.dropout() >= 0 && l.dropout() < 1, src, "'lora.dropout' must be in [0, 1), got " + l.dropout());
        JsonNode t = l.targetModules();
        require(t == null || t.isNull() || t.isTextual() || (t.isArray() && !t.isEmpty()), src,
                "'lora.target_modules' must be a list of module names or one regular expression, got " + t);

        oneOf(src, "classification.pooling", r.classification().pooling(), List.of("cls", "mean"));
        JsonNode w = r.classification().classWeights();
        require(w == null || w.isNull() || (w.isTextual() && w.asText().equals("balanced")) || w.isObject(), src,
                "'classification.class_weights' must be balanced or a mapping label: weight, got " + w);

        Recipe.Sft sft = r.sft();
        oneOf(src, "sft.template", sft.template(), List.of("auto", "chatml", "llama3", "alpaca"));
        oneOf(src, "sft.loss_on", sft.lossOn(), List.of("all_assistant", "last_turn", "all"));
        require(sft.neftuneAlpha() >= 0 && Double.isFinite(sft.neftuneAlpha()), src, "'sft.neftune_alpha' must be a finite number >= 0, got " + sft.neftuneAlpha());
        require(r.replay().ratio() >= 0 && r.replay().ratio() < 1, src, "'replay.ratio' must be in [0, 1), got " + r.replay().ratio());
        require(r.replay().ratio() == 0 || r.replay().data() != null, src, "'replay.ratio' is " + r.replay().ratio() + " but 'replay.data' names no file");
        require(r.regularization().l2Sp() >= 0 && Double.isFinite(r.regularization().l2Sp()), src,
                "'regularization.l2_sp' must be a finite number >= 0, got " + r.regularization().l2Sp());
        preference(r, src);
        rl(r, src);
        if (!r.task().equals("classification") && !r.task().equals("causal_lm") && !r.task().equals("sft")) {
            require(r.eval().general() == null, src, "'eval.general' (forgetting) is measured for task causal_lm or sft; score a " + r.task()
                    + " run's model with a causal_lm run or tune4j bench alignment");
        }
        if (r.task().equals("reward") || r.task().equals("grpo") || r.task().equals("ppo")) {
            require(r.eval().samples().isEmpty(), src, "'eval.samples' are logged for causal_lm, sft, dpo, orpo and simpo");
        }
        if (!r.task().equals("classification")) {
            require(r.classification().classWeights() == null || r.classification().classWeights().isNull(), src,
                    "'classification.class_weights' applies to task classification only");
        } else {
            require(r.eval().general() == null, src, "'eval.general' measures forgetting of a language model: it needs task causal_lm or sft");
            require(r.eval().samples().isEmpty(), src, "'eval.samples' are generations of a language model: they need task causal_lm or sft");
        }
        range(src, "eval.sample_tokens", r.eval().sampleTokens(), 1, 4096);

        Recipe.Optimizer o = r.optimizer();
        oneOf(src, "optimizer.name", o.name(), List.of("adamw", "sgd"));
        require(o.lr() > 0 && o.lr() < 10, src, "'optimizer.lr' must be in (0, 10), got " + o.lr());
        require(o.weightDecay() >= 0 && Double.isFinite(o.weightDecay()), src, "'optimizer.weight_decay' must be a finite number >= 0, got " + o.weightDecay());
        require(o.betas().size() == 2 && o.betas().stream().allMatch(b -> b >= 0 && b < 1), src,
                "'optimizer.betas' must be two numbers in [0, 1), got " + o.betas());
        require(o.eps() > 0 && Double.isFinite(o.eps()), src, "'optimizer.eps' must be a finite positive number, got " + o.eps());
        require(o.momentum() >= 0 && o.momentum() < 1, src, "'optimizer.momentum' must be in [0, 1), got " + o.momentum());

        oneOf(src, "schedule.name", r.schedule().name(), List.of("constant", "constant_with_warmup", "linear", "cosine"));
        range(src, "schedule.warmup_steps", r.schedule().warmupSteps(), 0, Integer.MAX_VALUE);
        require(r.schedule().minLrRatio() >= 0 && r.schedule().minLrRatio() <= 1, src, "'schedule.min_lr_ratio' must be in [0, 1], got " + r.schedule().minLrRatio());

        Recipe.Train tr = r.train();
        range(src, "train.epochs", tr.epochs(), 0, 100_000);
        range(src, "train.max_steps", tr.maxSteps(), 0, Integer.MAX_VALUE);
        require(tr.epochs() > 0 || tr.maxSteps() > 0, src, "'train.epochs' and 'train.max_steps' are both 0: nothing would train");
        range(src, "train.batch_size", tr.batchSize(), 1, 65_536);
        range(src, "train.grad_accumulation", tr.gradAccumulation(), 1, 65_536);
        oneOf(src, "train.init", tr.init(), List.of("pretrained", "random"));
        require(tr.clipNorm() >= 0 && Double.isFinite(tr.clipNorm()), src, "'train.clip_norm' must be a finite number >= 0 (0: no clipping), got " + tr.clipNorm());

        Recipe.Eval e = r.eval();
        range(src, "eval.every", e.every(), 0, Integer.MAX_VALUE);
        range(src, "eval.early_stopping_patience", e.earlyStoppingPatience(), 0, Integer.MAX_VALUE);
        range(src, "eval.batch_size", e.batchSize(), 1, 65_536);
        require(e.minDelta() >= 0 && Double.isFinite(e.minDelta()), src, "'eval.min_delta' must be a finite number >= 0, got " + e.minDelta());
        List<String> metrics = switch (r.task()) {
            case "classification" -> List.of("loss", "accuracy", "macro_f1");
            case "dpo", "orpo", "simpo", "reward" -> List.of("loss", "accuracy", "margin");
            case "grpo", "ppo" -> List.of("loss", "reward");
            default -> List.of("loss", "perplexity");
        };
        oneOf(src, "eval.metric", r.evalMetric(), metrics);
        range(src, "checkpoint.every", r.checkpoint().every(), 0, Integer.MAX_VALUE);
        range(src, "checkpoint.keep", r.checkpoint().keep(), 1, 1_000);
        range(src, "log.every", r.log().every(), 1, Integer.MAX_VALUE);
    }

    private static void preference(Recipe r, String src) {
        Recipe.Preference p = r.preference();
        oneOf(src, "preference.loss", p.loss(), List.of("sigmoid", "ipo"));
        require(p.beta() > 0 && Double.isFinite(p.beta()), src, "'preference.beta' must be a finite number > 0, got " + p.beta());
        require(p.labelSmoothing() >= 0 && p.labelSmoothing() < 0.5, src, "'preference.label_smoothing' must be in [0, 0.5), got " + p.labelSmoothing());
        require(p.orpoLambda() >= 0 && Double.isFinite(p.orpoLambda()), src, "'preference.orpo_lambda' must be a finite number >= 0, got " + p.orpoLambda());
        require(p.simpoGamma() >= 0 && Double.isFinite(p.simpoGamma()), src, "'preference.simpo_gamma' (a target margin) must be a finite number >= 0, got " + p.simpoGamma());
        require(p.rewardMargin() >= 0 && Double.isFinite(p.rewardMargin()), src, "'preference.reward_margin' must be a finite number >= 0, got " + p.rewardMargin());
        require(!p.loss().equals("ipo") || r.task().equals("dpo"), src, "'preference.loss: ipo' is a loss of task dpo");
    }

    private static void rl(Recipe r, String src) {
        Recipe.Rl l = r.rl();
        boolean rl = r.task().equals("grpo") || r.task().equals("ppo");
        require(!rl || r.train().maxSteps() > 0, src, "'train.max_steps' must be > 0 for task " + r.task() + ": RL samples its own data, so updates are counted, not epochs");
        require(!rl || (l.reward() != null && !l.reward().isBlank()), src, "'rl.reward' is required for task " + r.task()
                + " (a reward run folder or a *ForSequenceClassification folder with one label)");
        range(src, "rl.prompts", l.prompts(), 1, 65_536);
        range(src, "rl.samples", l.samples(), 1, 1024);
        require(!r.task().equals("grpo") || l.samples() >= 2, src, "'rl.samples' must be >= 2 for grpo (advantages compare samples of one prompt), got " + l.samples());
        range(src, "rl.max_new_tokens", l.maxNewTokens(), 1, 65_536);
        require(l.temperature() > 0 && Double.isFinite(l.temperature()), src, "'rl.temperature' must be > 0, got " + l.temperature());
        require(l.topP() > 0 && l.topP() <= 1, src, "'rl.top_p' must be in (0, 1], got " + l.topP());
        require(l.klCoef() >= 0 && Double.isFinite(l.klCoef()), src, "'rl.kl_coef' must be a finite number >= 0, got " + l.klCoef());
        require(l.klTarget() >= 0 && Double.isFinite(l.klTarget()), src, "'rl.kl_target' must be a finite number >= 0 (0: fixed), got " + l.klTarget());
        require(l.clipLow() > 0 && l.clipLow() < 1, src, "'rl.clip_low' must be in (0, 1), got " + l.clipLow());
        require(l.clipHigh() > 0 && Double.isFinite(l.clipHigh()), src, "'rl.clip_high' must be a finite number > 0, got " + l.clipHigh());
        oneOf(src, "rl.aggregation", l.aggregation(), List.of("grpo", "dr_grpo", "dapo"));
        oneOf(src, "rl.importance", l.importance(), List.of("token", "sequence"));
        range(src, "rl.epochs", l.epochs(), 1, 1000);
        require(l.gamma() > 0 && l.gamma() <= 1, src, "'rl.gamma' must be in (0, 1], got " + l.gamma());
        require(l.lam() >= 0 && l.lam() <= 1, src, "'rl.lam' must be in [0, 1], got " + l.lam());
        require(l.valueCoef() >= 0 && Double.isFinite(l.valueCoef()), src, "'rl.value_coef' must be a finite number >= 0, got " + l.valueCoef());
        require(l.valueClip() > 0 && Double.isFinite(l.valueClip()), src, "'rl.value_clip' must be a finite number > 0, got " + l.valueClip());
    }

    private static void split(String src, String key, JsonNode v) {
        if (v == null || v.isNull()) return;
        if (v.isNumber()) {
            require(v.asDouble() >= 0 && v.asDouble() < 1, src, "'" + key + "' as a fraction must be in [0, 1), got " + v.asDouble());
        } else {
            require(v.isTextual() && !v.asText().isBlank(), src, "'" + key + "' must be a fraction or a file, got " + v);
        }
    }

    private static void oneOf(String src, String key, String v, List<String> allowed) {
        require(v != null && allowed.contains(v), src, "'" + key + "' must be one of " + String.join(", ", allowed) + ", got " + (v == null ? "nothing" : "'" + v + "'"));
    }

    private static void range(String src, String key, long v, long min, long max) {
        require(v >= min && v <= max, src, "'" + key + "' must be " + (max >= Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]") + ", got " + v);
    }

    private static void require(boolean ok, String src, String message) {
        if (!ok) throw new IllegalArgumentException(src + ": " + message);
    }
}
