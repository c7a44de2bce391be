package dev.tune4j.train;

/**
 * A gradient holds NaN or infinity. Thrown before any weight is touched, so training can stop (or
 * skip the batch) with the weights and optimizer state intact. Names the first such parameter in
 * the order the parameters were given, and the first bad element in it.
 */
public final class NonFiniteGradientException extends ArithmeticException {
    private final String parameterName;
    private final long elementIndex;
    private final float value;

    public NonFiniteGradientException(String parameterName, long elementIndex, float value) {
        super("non-finite gradient in parameter '" + parameterName + "' (element " + elementIndex + " is " + value
                + "); the update was not applied");
        this.parameterName = parameterName;
        this.elementIndex = elementIndex;
        this.value = value;
    }

    public String parameterName() { return parameterName; }

    public long elementIndex() { return elementIndex; }

    public float value() { return value; }
}
