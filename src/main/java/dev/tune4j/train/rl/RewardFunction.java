package dev.tune4j.train.rl;

import java.util.List;

/**
 * Scores sampled completions: a reward model (a sequence classifier with one output) or a rule in
 * Java (tests, verifiable tasks). Called once per rollout batch with every sample.
 */
@FunctionalInterface
public interface RewardFunction {

    /**
     * @param prompts     each sample's prompt token ids
     * @param completions each sample's generated token ids (an end-of-sequence token included when it stopped on one)
     * @return one reward per sample
     */
    double[] score(List<int[]> prompts, List<int[]> completions);
}
