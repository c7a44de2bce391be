package dev.tune4j.train.rl;

import dev.tune4j.train.LmBatch;

import java.util.Map;

/**
 * One rollout batch: the sampled sequences (prompt + completion, targets on the completion tokens),
 * per completion token (in {@code positions} order, flat indices into the batch) the log-probability
 * the policy gave it when sampled, the reference's, and its advantage; for PPO the value predicted
 * then and the return it is fitted to. {@code stats}: what the rollout measured (reward, KL, ...).
 */
public record RlBatch(LmBatch rows, int[] positions, PolicyLoss.Tokens tokens, double[] oldValues, double[] returns, Map<String, Double> stats) {}
