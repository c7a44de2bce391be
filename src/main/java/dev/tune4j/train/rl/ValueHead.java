package dev.tune4j.train.rl;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Var;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PPO's value model: one linear output on the policy's final hidden states (TRL's {@code v_head}),
 * so the value shares the policy's forward. Starts at zero: every first estimate is 0.
 */
public final class ValueHead extends Module {
    private final Linear head;

    public ValueHead(int hidden) {
        head = child("v_head", new Linear(hidden, 1, true, new SplittableRandom(0), 0f));
    }

    /** [B, T, D] hidden states -> [B, T, 1] values. */
    public Var forward(Var hidden) {
        return head.forward(hidden);
    }

    /**
     * The policy's module with this head beside it, as one module for the trainer (its optimizer,
     * checkpoints and train/eval switch) without renaming the policy's parameters.
     */
    public Module besides(Module policy) {
        ValueHead value = this;
        return new Module() {
            @Override
            public Map<String, Parameter> namedParameters() {
                Map<String, Parameter> all = new LinkedHashMap<>(policy.namedParameters());
                all.putAll(value.namedParameters());
                return all;
            }

            @Override
            public void train(boolean on) {
                policy.train(on);
                value.train(on);
            }

            @Override
            public boolean isTraining() {
                return policy.isTraining();
            }
        };
    }

    static ValueHead of(Transformer policy) {
        return new ValueHead(policy.config.hidden);
    }
}
