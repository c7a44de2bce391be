package dev.tune4j.cli;

import dev.tune4j.generate.Sampling;
import picocli.CommandLine.Option;

import java.util.List;

/** The decoding options generate and chat share. */
final class SamplingOptions {
    @Option(names = "--max-new-tokens", defaultValue = "128", paramLabel = "N", description = "tokens generated at most (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0: greedy (default); otherwise sample from logits / T")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "sample among the K most likely tokens (0: all)")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", paramLabel = "P", description = "sample among the most likely tokens whose probability reaches P (1: all)")
    double topP;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", paramLabel = "X", description = "penalise tokens already in the text (1: off; 1.1-1.3 is typical)")
    double repetitionPenalty;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop when the output contains TEXT (repeatable); the end-of-sequence token always stops")
    List<String> stops = List.of();

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "the sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    Sampling toSampling() {
        return new Sampling(temperature, topK, topP, repetitionPenalty, maxNewTokens, stops, seed);
    }
}
