package dev.tune4j.train;

/** A NaN or infinite loss: training stops before the weights are touched. */
public final class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(String message) {
        super(message);
    }
}
