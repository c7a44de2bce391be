package dev.tune4j.recipe;

import dev.tune4j.io.IoErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The built-in demo: LoRA fine-tuning of the built-in pre-trained encoder (all-MiniLM-L6-v2) as a
 * spam filter, on 900 raw e-mails of the SpamAssassin public corpus shipped inside the jar (see
 * NOTICE-spam-assassin.md beside them). Everything a user's run does happens here too: the data
 * pipeline cleans and deduplicates the mails and splits off validation and test sets.
 */
public final class SpamDemo {
    static final String DATA = "/dev/tune4j/demo/spam-assassin-sample.jsonl.gz";

    private SpamDemo() {}

    /**
     * The demo's recipe, writing to {@code out}; its data is copied out of the jar into a file of a
     * fixed name in a temporary folder: the split depends on the file's name (and lines), so every
     * run of the demo trains and scores on the same rows.
     */
    public static RecipeLoader.Builder recipe(Path out) {
        Path data;
        try {
            Path dir = Files.createTempDirectory("tune4j-demo-");
            dir.toFile().deleteOnExit();
            data = dir.resolve("spam-assassin-sample.jsonl.gz");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder for the demo's data: " + IoErrors.describe(e), e);
        }
        data.toFile().deleteOnExit();
        extract(data);
        return Recipe.builder()
                .set("model", "builtin:all-minilm-l6-v2")
                .set("task", "classification")
                .set("data.train", data.toString())
                .set("data.validation", 0.15)
                .set("data.test", 0.3)
                .set("data.max_length", 128)
                .set("method", "lora")
                .set("lora.r", 8)
                .set("lora.alpha", 16)
                .set("lora.dropout", 0.05)
                .set("optimizer.lr", 1e-3)
                .set("schedule.name", "linear")
                .set("schedule.warmup_steps", 5)
                .set("train.epochs", 3)
                .set("train.batch_size", 16)
                .set("eval.every", 25)
                .set("log.every", 5)
                .set("output", out.toString());
    }

    static Path extract(Path target) {
        try (InputStream in = SpamDemo.class.getResourceAsStream(DATA)) {
            if (in == null) throw new IllegalStateException("the demo's e-mails are missing from the jar (" + DATA + ")");
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo's data to " + target + ": " + IoErrors.describe(e), e);
        }
    }
}
