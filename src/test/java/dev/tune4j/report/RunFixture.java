package dev.tune4j.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.StringJoiner;

/**
 * A run folder as the trainer writes it: 300 steps of a LoRA spam classifier, evaluated every 50 steps,
 * best at step 150, with validation and test scored at the end.
 */
final class RunFixture {
    static final String CONFIG = """
            # spam filter <demo> & friends
            task: classification
            model: builtin:all-minilm-l6-v2
            method: lora
            lora: {rank: 8, alpha: 16, targets: [q, v]}
            data: {train: data/train.jsonl, validation: data/validation.jsonl, test: data/test.jsonl}
            train: {epochs: 2, batch_size: 16, lr: 4.0e-4, warmup_steps: 30, eval_every: 50, patience: 3, seed: 7}
            """;

    static final String VALIDATION = """
            {"loss":0.1234,"accuracy":0.9753,"macro_f1":0.9669,"examples":527,
             "per_class":{"ham":{"precision":0.9799,"recall":0.9873,"f1":0.9836,"support":395},
                          "spam":{"precision":0.9612,"recall":0.9394,"f1":0.9502,"support":132}},
             "confusion":{"labels":["ham","spam"],"matrix":[[390,5],[8,124]]}}""";
    static final String TEST = """
            {"loss":0.1402,"accuracy":0.9735,"macro_f1":0.9641,"examples":528,
             "per_class":{"ham":{"precision":0.9751,"recall":0.9899,"f1":0.9825,"support":396},
                          "spam":{"precision":0.9683,"recall":0.9242,"f1":0.9457,"support":132}},
             "confusion":{"labels":["ham","spam"],"matrix":[[392,4],[10,122]]}}""";

    private static final double[][] EVALS = { // step, loss, accuracy, macro-F1
            {50, 0.2110, 0.9317, 0.9102}, {100, 0.1490, 0.9620, 0.9511}, {150, 0.1234, 0.9753, 0.9669},
            {200, 0.1301, 0.9734, 0.9650}, {250, 0.1388, 0.9715, 0.9627}, {300, 0.1420, 0.9696, 0.9604}};

    private RunFixture() {}

    /** The whole folder; {@code test} and {@code evals} drop the test split and the evaluation rows. */
    static Path write(Path dir, boolean test, boolean evals) throws IOException {
        Files.writeString(dir.resolve("config.yaml"), CONFIG);
        Files.writeString(dir.resolve("metrics.jsonl"), metrics(evals));
        Files.writeString(dir.resolve("results.json"), """
                {"task":"classification","method":"lora","model":"builtin:all-minilm-l6-v2","best_step":150,"stopped_early":false,
                 "parameters":{"total":22713216,"trainable":147456},
                 "timing":{"train_s":120.5,"eval_s":10.2,"data_s":3.1,"tokens_per_s":830.0,"steps":300},
                 "validation":%s%s}
                """.formatted(VALIDATION, test ? ",\n \"test\":" + TEST : ""));
        Files.writeString(dir.resolve("data-report.html"), "<!doctype html><title>data</title>");
        return dir;
    }

    private static String metrics(boolean evals) {
        Random random = new Random(7);
        StringJoiner lines = new StringJoiner("\n", "", "\n");
        int e = 0;
        for (int step = 1; step <= 300; step++) {
            double lr = 4e-4 * (step <= 30 ? step / 30.0 : (300 - step) / 270.0);
            double loss = 0.65 * Math.exp(-step / 60.0) + 0.06 + 0.08 * Math.exp(-step / 150.0) * random.nextGaussian();
            lines.add(String.format(Locale.ROOT,
                    "{\"type\":\"train\",\"step\":%d,\"epoch\":%d,\"lr\":%.6g,\"loss\":%.4f,\"grad_norm\":%.3f,\"tokens_per_s\":%.1f,\"elapsed_s\":%.1f}",
                    step, step <= 150 ? 1 : 2, lr, Math.max(0.01, loss), 1.5 * Math.exp(-step / 100.0) + 0.3 + 0.1 * random.nextDouble(),
                    830 + 30 * random.nextGaussian(), step * 0.4));
            if (evals && e < EVALS.length && EVALS[e][0] == step) {
                double[] v = EVALS[e++];
                lines.add(String.format(Locale.ROOT,
                        "{\"type\":\"eval\",\"split\":\"validation\",\"step\":%d,\"epoch\":%d,\"loss\":%.4f,\"accuracy\":%.4f,\"macro_f1\":%.4f,\"improved\":%b}",
                        step, step <= 150 ? 1 : 2, v[1], v[2], v[3], step <= 150));
            }
        }
        return lines.toString();
    }
}
