package dev.tune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A fine-tuning run as a recipe names it: the typed form of {@code recipe/defaults.yaml}, which
 * lists every knob with its default and meaning. Built by {@link RecipeLoader} (YAML, {@code --set}
 * overrides, checks with the key's name in every message) or in code with {@link #builder()}.
 * Field names are the YAML keys in camel case.
 */
public record Recipe(String model, String task, Data data, String method, Partial partial, Lora lora,
                     Classification classification, Sft sft, Preference preference, Rl rl, Replay replay, Regularization regularization,
                     Optimizer optimizer, Schedule schedule, Train train, Eval eval,
                     Checkpoint checkpoint, Log log, String output) {

    /**
     * @param validation a fraction (number) or a file (string); {@code test} likewise
     * @param audit      none, report or drop (a label audit of the training rows first)
     */
    public record Data(String train, JsonNode validation, JsonNode test, String textField, String labelField,
                       List<String> labels, int maxLength, boolean prepare, String audit) {}

    public record Partial(boolean freezeEmbeddings, int freezeLayers, List<String> freeze) {}

    /** @param targetModules null, a list of module names, or one regular expression (PEFT's semantics) */
    public record Lora(int r, double alpha, double dropout, JsonNode targetModules, boolean useRslora, List<String> modulesToSave) {}

    /** @param classWeights null, "balanced", or an object label -> weight */
    public record Classification(String pooling, JsonNode classWeights) {}

    /**
     * @param template     auto, chatml, llama3 or alpaca
     * @param lossOn       all_assistant, last_turn or all
     * @param neftuneAlpha 0: off
     */
    public record Sft(String template, String lossOn, String systemPrompt, boolean packing, boolean packCut, double neftuneAlpha) {}

    /**
     * Preference tasks (dpo, orpo, simpo, reward).
     *
     * @param loss           dpo: sigmoid or ipo
     * @param beta           dpo/ipo: strength of the pull to the reference; simpo: reward scale
     * @param labelSmoothing dpo, simpo: the assumed fraction of flipped labels (conservative DPO)
     * @param orpoLambda     orpo: weight of the odds-ratio term beside the SFT loss
     * @param simpoGamma     simpo: the target margin
     * @param rewardMargin   reward: the margin the Bradley-Terry loss asks for
     */
    public record Preference(String loss, double beta, double labelSmoothing, double orpoLambda, double simpoGamma, double rewardMargin) {}

    /**
     * RL from a reward (grpo, ppo).
     *
     * @param reward         a reward model: a tune4j reward run folder or a *ForSequenceClassification folder with one label
     * @param samples        completions per prompt (grpo: the group size; ppo: 1 or more)
     * @param klCoef         grpo: weight of the KL-to-reference loss term; ppo: the KL penalty in the reward (initial, if adaptive)
     * @param klTarget       ppo: a per-sequence KL the adaptive controller steers to (0: fixed coefficient)
     * @param aggregation    grpo: grpo | dr_grpo | dapo
     * @param importance     token | sequence (GSPO)
     */
    public record Rl(String reward, int samples, int maxNewTokens, double temperature, double topP, double klCoef, double klTarget,
                     double clipLow, double clipHigh, String aggregation, String importance, int epochs, double gamma, double lam,
                     double valueCoef, double valueClip, int prompts) {}

    /** @param data null: no replay */
    public record Replay(String data, double ratio) {}

    /** @param l2Sp 0: off */
    public record Regularization(double l2Sp) {}

    public record Optimizer(String name, double lr, double weightDecay, List<Double> betas, double eps, double momentum) {}

    public record Schedule(String name, int warmupSteps, double minLrRatio) {}

    public record Train(int epochs, int maxSteps, int batchSize, int gradAccumulation, double clipNorm, long seed, boolean bucketByLength, String init) {}

    /**
     * @param general a general-domain held-out file whose perplexity before and after measures forgetting (null: none)
     * @param samples prompts whose continuations are logged at each evaluation
     */
    public record Eval(int every, String metric, int earlyStoppingPatience, double minDelta, boolean restoreBest, int batchSize,
                       String general, List<String> samples, int sampleTokens) {}

    /**
     * @param every updates between checkpoints (0: only when the run ends or is stopped)
     * @param keep  how many of the newest are kept (the best evaluation's is kept besides)
     */
    public record Checkpoint(int every, int keep) {}

    public record Log(int every) {}

    /** Starts from the defaults; {@code set("lora.r", 16)} changes a knob by its YAML key. */
    public static RecipeLoader.Builder builder() {
        return new RecipeLoader.Builder();
    }

    /** The metric early stopping and the best weights go by. */
    public String evalMetric() {
        if (eval.metric() != null) return eval.metric();
        return switch (task) {
            case "classification" -> "macro_f1";
            case "grpo", "ppo" -> "reward";
            default -> "loss";
        };
    }
}
