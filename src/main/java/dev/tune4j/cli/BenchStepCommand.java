package dev.tune4j.cli;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Profile;
import dev.tune4j.autograd.Scratch;
import dev.tune4j.autograd.Var;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.model.ClassifierSpec;
import dev.tune4j.model.Lora;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.ModelPresets;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.model.SequenceClassifier;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.Block;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.recipe.Study;
import dev.tune4j.report.Json;
import dev.tune4j.train.CausalLmObjective;
import dev.tune4j.train.ClassificationBatch;
import dev.tune4j.train.ClassificationObjective;
import dev.tune4j.train.Objective;
import dev.tune4j.train.LmBatch;
import dev.tune4j.train.TrainConfig;
import dev.tune4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The speed and memory of one whole training step (forward, loss, backward, clip, AdamW) on a real
 * model's shape with random weights: tokens/s (median over the timed steps), peak resident memory,
 * and where the time goes by phase ({@link Profile}). {@code --mode forward} times the forward and
 * loss alone, without a tape.
 */
@Command(name = "step", mixinStandardHelpOptions = true,
        description = "Training-step tokens/s, peak memory and phase profile of a model shape (random weights).")
public final class BenchStepCommand implements Runnable {
    /** The demo's model and task: the built-in all-MiniLM-L6-v2 as a two-label classifier (real weights). */
    static final String MINILM = "minilm";

    @Option(names = "--preset", defaultValue = "gpt2-124m",
            description = "gpt2-124m, smollm2-135m (random weights, next-token loss) or minilm (the demo: built-in all-MiniLM-L6-v2, "
                    + "two-label classifier) (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--mode", defaultValue = "full",
            description = "full, partial (embeddings and the first half of the blocks frozen), lora (rank 8 on q, k, v, o and the MLP), "
                    + "or forward (forward and loss only) (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--batch", defaultValue = "4", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seq", defaultValue = "256", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
    int seq;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--base-dtype", defaultValue = "f32", description = "storage of the frozen matrices: f32 or bf16 (default: ${DEFAULT-VALUE})")
    String baseDtype;

    @Option(names = "--steps", defaultValue = "5", description = "timed steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--json", description = "the summary as one JSON line")
    boolean json;

    @Override
    public void run() {
        if (batch < 1 || seq < 2 || steps < 1 || warmup < 0) throw new IllegalArgumentException("--batch >= 1, --seq >= 2, --steps >= 1 and --warmup >= 0 are needed");
        if (!List.of("full", "partial", "lora", "forward").contains(mode)) throw new IllegalArgumentException("--mode: full, partial, lora or forward, got " + mode);
        if (!List.of("f32", "bf16").contains(baseDtype)) throw new IllegalArgumentException("--base-dtype: f32 or bf16, got " + baseDtype);
        if (baseDtype.equals("bf16") && mode.equals("full")) throw new IllegalArgumentException("--base-dtype bf16 needs a frozen base: --mode partial, lora or forward");
        if (!preset.equals(MINILM) && !ModelPresets.NAMES.contains(preset)) {
            throw new IllegalArgumentException("--preset: " + String.join(", ", ModelPresets.NAMES) + " or " + MINILM + ", got " + preset);
        }
        if (threads != null) Parallel.setThreads(threads);
        Subject<?> subject = preset.equals(MINILM) ? minilm() : decoder();
        long trainable = 0, total = 0;
        for (Parameter p : subject.module().parameters()) {
            total += p.value().numel();
            if (!p.frozen()) trainable += p.value().numel();
        }
        long tokens = (long) batch * seq;
        double[] seconds = mode.equals("forward") ? forwardOnly(subject) : train(subject);
        Map<Profile.Phase, Double> phases = Profile.seconds();
        Profile.enable(false);

        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("impl", "tune4j");
        o.put("preset", preset);
        o.put("mode", mode);
        o.put("base_dtype", baseDtype);
        o.put("batch", batch);
        o.put("seq", seq);
        o.put("threads", Parallel.threads());
        o.put("trainable_params", trainable);
        o.put("total_params", total);
        o.put("tokens_per_s", tokens / median);
        o.put("step_s", median);
        o.put("peak_rss_mb", Study.peakRssMb());
        Map<String, Object> split = new LinkedHashMap<>();
        double claimed = 0, all = Arrays.stream(seconds).sum();
        for (var e : phases.entrySet()) {
            split.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue() / seconds.length);
            claimed += e.getValue();
        }
        split.put("other", Math.max(0, all - claimed) / seconds.length);
        o.put("phase_s", split);
        if (json) {
            System.out.println(Json.line(o));
            return;
        }
        System.out.printf(Locale.ROOT, "%s %s (base %s), batch %d x %d, %d threads: %.1f tokens/s, %.3f s/step (median of %d), peak RSS %.0f MB%n",
                preset, mode, baseDtype, batch, seq, Parallel.threads(), tokens / median, median, seconds.length, Study.peakRssMb());
        System.out.printf(Locale.ROOT, "  trainable %,d of %,d parameters%n", trainable, total);
        for (var e : split.entrySet()) {
            double s = (Double) e.getValue();
            System.out.printf(Locale.ROOT, "  %-18s %7.3f s  %5.1f%%%n", e.getKey(), s, 100 * s / (all / seconds.length));
        }
    }

    /** What a step trains: the module (for its parameter counts), the objective and one batch, fed again every step. */
    private record Subject<B>(Module module, Objective<B> objective, B batch) {}

    /** A decoder preset with random weights and the next-token loss on random tokens. */
    private Subject<LmBatch> decoder() {
        TransformerConfig c = ModelPresets.get(preset);
        c.maxPositions = Math.max(seq, c.maxPositions);
        Transformer model = new Transformer(c);
        prepare(model);
        return new Subject<>(model, new CausalLmObjective(model), randomBatch(c.vocabSize));
    }

    /** The demo's model: the built-in MiniLM with a two-label head, adapted as the demo's recipe does (LoRA r 8, alpha 16). */
    private Subject<ClassificationBatch> minilm() {
        PretrainedModel base;
        try {
            base = ModelLoader.load("builtin:all-minilm-l6-v2");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SequenceClassifier model = base.classifier(new ClassifierSpec(List.of("ham", "spam"), null, false, 7));
        switch (mode) {
            case "lora" -> Lora.inject(base, LoraConfig.of(8, 16).withDropout(0.05).withModulesToSave(List.of("classifier", "pooler")));
            case "partial" -> {
                Transformer backbone = model.backbone();
                for (Module e : new Module[] {backbone.embed, backbone.posEmbed}) if (e != null) e.freeze(n -> true);
                for (Block b : backbone.layers.subList(0, backbone.layers.size() / 2)) b.freeze(n -> true);
            }
            case "forward" -> model.module().freeze(n -> true);
            default -> { }
        }
        toBaseDtype(model.module());
        SplittableRandom rng = new SplittableRandom(42);
        int vocab = model.backbone().config.vocabSize;
        int[] ids = new int[batch * seq], labels = new int[batch];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(vocab);
        for (int i = 0; i < batch; i++) labels[i] = rng.nextInt(2);
        return new Subject<>(model.module(), new ClassificationObjective(model), new ClassificationBatch(TokenBatch.of(ids, batch, seq), labels));
    }

    /** Freezes and adapts the model as the mode says, and stores the frozen matrices as --base-dtype. */
    private void prepare(Transformer model) {
        switch (mode) {
            case "partial" -> {
                for (Module e : new Module[] {model.embed, model.posEmbed}) if (e != null) e.freeze(n -> true);
                for (Block b : model.layers.subList(0, model.layers.size() / 2)) b.freeze(n -> true);
            }
            case "lora" -> {
                model.freeze(n -> true);
                SplittableRandom rng = new SplittableRandom(7);
                // GPT-2's q, k and v are one Hugging Face module (c_attn): one A, as PEFT trains it.
                boolean fusedQkv = preset.startsWith("gpt2");
                for (Block b : model.layers) {
                    List<Linear> targets = new ArrayList<>(List.of(b.attn.q, b.attn.k, b.attn.v, b.attn.o, b.mlp.up, b.mlp.down));
                    if (b.mlp.gate != null) targets.add(b.mlp.gate);
                    for (Linear l : targets) {
                        if (fusedQkv && (l == b.attn.k || l == b.attn.v)) l.addAdapterSharingA(b.attn.q.adapter());
                        else l.addAdapter(8, 2f, 0f, rng); // alpha 16 / r 8
                        // B starts at zero, which would let a fused kernel skip work that a trained adapter needs
                        Arrays.fill(l.adapter().b.value().data(), 0.01f);
                    }
                }
            }
            case "forward" -> model.freeze(n -> true);
            default -> { }
        }
        toBaseDtype(model);
    }

    private void toBaseDtype(Module model) {
        if (baseDtype.equals("bf16")) {
            for (Parameter p : model.parameters()) if (p.frozen() && p.value().rank() == 2) p.setValue(p.value().toBf16());
        }
    }

    private LmBatch randomBatch(int vocab) {
        SplittableRandom rng = new SplittableRandom(42);
        int[] ids = new int[batch * seq], targets = new int[batch * seq];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(vocab);
        for (int i = 0; i < ids.length; i++) targets[i] = (i + 1) % seq == 0 ? LmBatch.IGNORE : ids[i + 1];
        return new LmBatch(TokenBatch.of(ids, batch, seq), targets);
    }

    /** Seconds of each timed training step; the profile covers the timed steps only. */
    private <B> double[] train(Subject<B> subject) {
        TrainConfig tc = new TrainConfig();
        tc.steps = warmup + steps;
        tc.lr = 1e-5;
        tc.clipNorm = 1.0;
        Trainer<B> trainer = new Trainer<>(subject.module(), subject.objective(), tc);
        double[] seconds = new double[steps];
        Iterator<B> endless = new Iterator<>() {
            public boolean hasNext() { return true; }

            public B next() { return subject.batch(); }
        };
        if (warmup == 0) Profile.enable(true);
        trainer.fit(endless, null, new Trainer.Listener() {
            @Override
            public void onStep(Trainer.Step s) {
                if (s.step() > warmup) seconds[s.step() - warmup - 1] = s.seconds();
                if (!json) System.out.printf(Locale.ROOT, "  step %d%s: %.3f s, loss %.4f%n", s.step(), s.step() <= warmup ? " (warm-up)" : "", s.seconds(), s.loss());
                if (s.step() == warmup) Profile.enable(true);
            }
        });
        return seconds;
    }

    private <B> double[] forwardOnly(Subject<B> subject) {
        subject.module().train(false);
        Objective<B> objective = subject.objective();
        B data = subject.batch();
        double[] seconds = new double[steps];
        for (int i = 0; i < warmup + steps; i++) {
            if (i == warmup) Profile.enable(true);
            long t0 = System.nanoTime();
            double loss;
            try (Scratch scratch = Scratch.open()) {
                Var l = objective.loss(data).value();
                loss = l.value().get(0);
            }
            double s = (System.nanoTime() - t0) / 1e9;
            if (i >= warmup) seconds[i - warmup] = s;
            if (!json) System.out.printf(Locale.ROOT, "  forward %d%s: %.3f s, loss %.4f%n", i + 1, i < warmup ? " (warm-up)" : "", s, loss);
        }
        return seconds;
    }
}
