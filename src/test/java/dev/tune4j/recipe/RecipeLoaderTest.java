package dev.tune4j.recipe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecipeLoaderTest {
    /** The recipe the issue gives, verbatim: its keys are a contract. */
    static final String ISSUE_RECIPE = """
            model: builtin:all-minilm-l6-v2
            task: classification
            data:
              train: ../shared/data/spam-assassin.jsonl   # a file, or a folder written by `tune4j data prepare`
              validation: 0.1                             # a fraction split off, or a file
              text_field: text
              label_field: label
              max_length: 128
            method: lora                                  # full | partial | lora
            lora: {r: 8, alpha: 16, dropout: 0.1, target_modules: [query, key, value, dense]}
            optimizer: {name: adamw, lr: 5.0e-4, weight_decay: 0.01}
            schedule: {name: cosine, warmup_steps: 20}
            train: {epochs: 3, batch_size: 16, grad_accumulation: 1, seed: 42}
            eval: {every: 50, metric: macro_f1, early_stopping_patience: 3}
            output: runs/spam-lora
            """;

    @TempDir
    Path dir;

    private RecipeLoader.Resolved load(String yaml, String... sets) throws Exception {
        Path f = dir.resolve("r.yaml");
        Files.writeString(f, yaml);
        return RecipeLoader.load(f, List.of(sets));
    }

    private String error(String yaml, String... sets) {
        return assertThrows(IllegalArgumentException.class, () -> load(yaml, sets)).getMessage();
    }

    @Test
    void theIssuesRecipeResolvesWithEveryDefaultFilledIn() throws Exception {
        RecipeLoader.Resolved r = load(ISSUE_RECIPE);
        Recipe x = r.recipe();
        assertEquals("lora", x.method());
        assertEquals(8, x.lora().r());
        assertEquals(16.0, x.lora().alpha());
        assertEquals(List.of("query", "key", "value", "dense"), List.of(x.lora().targetModules().get(0).asText(), x.lora().targetModules().get(1).asText(),
                x.lora().targetModules().get(2).asText(), x.lora().targetModules().get(3).asText()));
        assertEquals(5e-4, x.optimizer().lr());
        assertEquals(0.1, x.data().validation().asDouble());
        assertEquals(50, x.eval().every());
        assertEquals("macro_f1", x.evalMetric());
        assertEquals(1.0, x.train().clipNorm(), "an unnamed knob takes its default");
        assertEquals(new Recipe.Checkpoint(0, 2), x.checkpoint(), "checkpoints only when the run ends or is stopped, two kept");
        String yaml = r.yaml();
        assertTrue(yaml.contains("clip_norm: 1.0") && yaml.contains("bucket_by_length: true"), "the resolved config prints every knob:\n" + yaml);
    }

    @Test
    void setOverridesKeepTheirYamlType() throws Exception {
        Recipe x = load(ISSUE_RECIPE, "train.epochs=1", "lora.target_modules=[query, value]", "data.validation=val.jsonl").recipe();
        assertEquals(1, x.train().epochs());
        assertEquals(2, x.lora().targetModules().size());
        assertEquals("val.jsonl", x.data().validation().asText());
    }

    @Test
    void anUnknownKeyNamesItAndSuggestsTheNearest() {
        String m = error(ISSUE_RECIPE.replace("grad_accumulation", "grad_acumulation"));
        assertTrue(m.contains("unknown key 'train.grad_acumulation'") && m.contains("did you mean 'train.grad_accumulation'"), m);
        m = error(ISSUE_RECIPE + "optimiser: {lr: 1}\n");
        assertTrue(m.contains("unknown key 'optimiser'") && m.contains("'optimizer'"), m);
        m = error(ISSUE_RECIPE, "train.zzz=1");
        assertTrue(m.contains("unknown key 'train.zzz'") && m.contains("valid keys under train"), m);
    }

    @Test
    void aWrongTypeOrRangeNamesTheKeyAndTheValue() {
        assertTrue(error(ISSUE_RECIPE, "train.batch_size=abc").contains("'train.batch_size' must be a whole number, got 'abc'"));
        assertTrue(error(ISSUE_RECIPE, "train.batch_size=2.5").contains("'train.batch_size' must be a whole number"));
        assertTrue(error(ISSUE_RECIPE, "train.batch_size=0").contains("'train.batch_size' must be in [1, 65536], got 0"));
        assertTrue(error(ISSUE_RECIPE, "method=qlora").contains("'method' must be one of full, partial, lora, head, got 'qlora'"));
        assertTrue(error(ISSUE_RECIPE, "lora=8").contains("'lora' must be a mapping"));
        assertTrue(error(ISSUE_RECIPE, "data.validation=1.5").contains("'data.validation' as a fraction must be in [0, 1)"));
        assertTrue(error(ISSUE_RECIPE, "eval.metric=bleu").contains("'eval.metric' must be one of loss, accuracy, macro_f1"));
        assertTrue(error(ISSUE_RECIPE, "checkpoint.keep=0").contains("'checkpoint.keep' must be in [1, 1000], got 0"));
        assertTrue(error(ISSUE_RECIPE, "checkpoint.every=-1").contains("'checkpoint.every' must be >= 0, got -1"));
        assertTrue(error("task: classification\n").contains("'model' is required"));
        assertTrue(error("model: [unclosed\n").contains("is not valid YAML"));
        assertTrue(error(ISSUE_RECIPE, "nokey").contains("--set expects key=value"));
    }

    @Test
    void aMissingRecipeFileIsAClearError() {
        String m = assertThrows(IllegalArgumentException.class, () -> RecipeLoader.load(dir.resolve("nope.yaml"), List.of())).getMessage();
        assertTrue(m.contains("nope.yaml does not exist"), m);
    }

    @Test
    void aRecipeBuiltInCodeGetsTheSameChecks() {
        Recipe x = Recipe.builder().set("model", "m").set("data.train", "t.jsonl").set("output", "o").set("lora.r", 4).build().recipe();
        assertEquals(4, x.lora().r());
        assertThrows(IllegalArgumentException.class, () -> Recipe.builder().set("model", "m").set("data.train", "t").set("output", "o").set("lora.rank", 4).build());
    }
}
