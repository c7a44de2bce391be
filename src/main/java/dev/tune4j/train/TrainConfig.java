package dev.tune4j.train;

/** Every knob of the training loop, with defaults suited to fine-tuning (low lr, few steps). */
public final class TrainConfig {
    /** Optimizer updates to run at most. */
    public int steps = 100;
    /** Passes over the training data (0: limited by {@link #steps} only); an epoch ends an update early. */
    public int epochs = 0;
    /** adamw or sgd. */
    public String optimizer = "adamw";
    /** SGD momentum. */
    public double momentum = 0.0;
    /** Micro-batches whose gradients are summed into one update. */
    public int gradAccumulation = 1;
    public double lr = 1e-4;
    public double weightDecay = 0.01;
    public double beta1 = 0.9, beta2 = 0.999, adamEps = 1e-8;
    /** constant, constant_with_warmup, linear or cosine. */
    public String schedule = "cosine";
    public int warmupSteps = 0;
    public double minLrRatio = 0.0;
    /** Clip the global gradient norm to this (0: no clipping). */
    public double clipNorm = 1.0;
    /** Evaluate on the validation set every this many updates (0: never during training). */
    public int evalEvery = 0;
    /** What early stopping and the best weights go by: loss, or a metric of the objective (accuracy, macro_f1, ...). */
    public String evalMetric = "loss";
    /** Stop after this many evaluations without improvement (0: never stop early). */
    public int earlyStoppingPatience = 0;
    /** Minimum change of the early-stopping metric that counts as an improvement. */
    public double earlyStoppingMinDelta = 0.0;
    /** Restore the weights of the best evaluation when training ends (needs evalEvery > 0). */
    public boolean restoreBest = true;
    public int logEvery = 10;
    /** Hand a checkpoint to the trainer's saver every this many updates (0: only when the run ends or is stopped). */
    public int checkpointEvery = 0;
    public long seed = 42;
    /** L2-SP strength: lambda/2 * ||w - w_start||^2 added over the trained weights (0: off). */
    public double l2Sp = 0.0;

    public TrainConfig validate() {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        if (gradAccumulation < 1) throw new IllegalArgumentException("gradAccumulation must be >= 1, got " + gradAccumulation);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        if (checkpointEvery < 0) throw new IllegalArgumentException("checkpointEvery must be >= 0, got " + checkpointEvery);
        if (!(l2Sp >= 0) || !Double.isFinite(l2Sp)) throw new IllegalArgumentException("l2Sp must be a finite number >= 0, got " + l2Sp);
        if (clipNorm < 0) throw new IllegalArgumentException("clipNorm must be >= 0, got " + clipNorm);
        if (warmupSteps < 0 || warmupSteps > steps) throw new IllegalArgumentException("warmupSteps must be in [0, steps], got " + warmupSteps);
        return this;
    }
}
