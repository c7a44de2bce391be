package dev.tune4j.kernel;

/**
 * Rotary position embedding tables: cos and sin of position * inverse frequency for every position
 * below maxPositions and every rotated pair, computed in float64 and stored as float32
 * [maxPositions][headDim / 2].
 *
 * <p>Inverse frequency i is theta^(-2i / headDim), optionally rescaled as Hugging Face transformers
 * does for {@code rope_scaling}: {@link Linear} divides every frequency by the factor;
 * {@link Llama3} (Llama 3.1) keeps high frequencies (wavelength below
 * original / highFreqFactor), divides low frequencies (wavelength above original / lowFreqFactor)
 * by the factor, and interpolates in between.
 */
public final class RopeTable {

    /** A rope_scaling choice. */
    public sealed interface Scaling permits None, Linear, Llama3 {}

    /** No scaling. */
    public record None() implements Scaling {}

    /** Position interpolation: every inverse frequency divided by factor. */
    public record Linear(double factor) implements Scaling {
        public Linear {
            if (!(factor > 0)) throw new IllegalArgumentException("RopeTable: linear factor must be > 0, got " + factor);
        }
    }

    /** Llama 3.1 scaling (rope_type "llama3" in a Hugging Face config). */
    public record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
            implements Scaling {
        public Llama3 {
            if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalMaxPositions < 1) {
                throw new IllegalArgumentException("RopeTable: llama3 scaling needs factor > 0, 0 < low_freq_factor"
                        + " < high_freq_factor and original_max_position_embeddings >= 1, got " + this);
            }
        }
    }

    public static final Scaling NO_SCALING = new None();

    private final int headDim;
    private final int maxPositions;
    private final double[] inverseFrequencies;
    final float[] cos;
    final float[] sin;

    public RopeTable(int headDim, double theta, int maxPositions) {
        this(headDim, theta, maxPositions, NO_SCALING);
    }

    public RopeTable(int headDim, double theta, int maxPositions, Scaling scaling) {
        if (headDim < 2 || headDim % 2 != 0) throw new IllegalArgumentException("RopeTable: head size must be even and >= 2, got " + headDim);
        if (maxPositions < 1) throw new IllegalArgumentException("RopeTable: maxPositions must be >= 1, got " + maxPositions);
        if (!(theta > 1)) throw new IllegalArgumentException("RopeTable: theta must be > 1, got " + theta);
        int half = headDim / 2;
        if ((long) maxPositions * half > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("RopeTable: " + maxPositions + " positions x " + half + " pairs is too large");
        }
        this.headDim = headDim;
        this.maxPositions = maxPositions;
        this.inverseFrequencies = inverseFrequencies(headDim, theta, scaling);
        this.cos = new float[maxPositions * half];
        this.sin = new float[maxPositions * half];
        double[] inv = inverseFrequencies;
        Parallel.forRange(maxPositions, 256, (p0, p1) -> {
            for (int pos = p0; pos < p1; pos++) {
                for (int i = 0; i < half; i++) {
                    double angle = pos * inv[i];
                    cos[pos * half + i] = (float) Math.cos(angle);
                    sin[pos * half + i] = (float) Math.sin(angle);
                }
            }
        });
    }

    /** The headDim / 2 inverse frequencies, in float64. */
    public static double[] inverseFrequencies(int headDim, double theta, Scaling scaling) {
        int half = headDim / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        switch (scaling) {
            case None n -> { }
            case Linear lin -> {
                for (int i = 0; i < half; i++) inv[i] /= lin.factor();
            }
            case Llama3 s -> {
                double lowFreqWavelen = s.originalMaxPositions() / s.lowFreqFactor();
                double highFreqWavelen = s.originalMaxPositions() / s.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowFreqWavelen) {
                        inv[i] /= s.factor();
                    } else if (wavelen >= highFreqWavelen) {
                        // Medium band: blend the scaled and unscaled frequency by how many
                        // rotations fit in the original context.
                        double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                                / (s.highFreqFactor() - s.lowFreqFactor());
                        inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
                    }
                }
            }
        }
        return inv;
    }

    public int headDim() { return headDim; }

    public int maxPositions() { return maxPositions; }

    /** A copy of the inverse frequencies (float64). */
    public double[] inverseFrequencies() { return inverseFrequencies.clone(); }

    public float cos(int position, int pair) { return cos[position * (headDim / 2) + pair]; }

    public float sin(int position, int pair) { return sin[position * (headDim / 2) + pair]; }
}
