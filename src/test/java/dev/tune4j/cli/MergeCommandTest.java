package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.io.SafetensorsFile;
import dev.tune4j.io.peft.PeftAdapter;
import dev.tune4j.model.Lora;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.LoraFixtures;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** `tune4j merge`: a PEFT adapter folded into its base and saved as a plain Hugging Face folder. */
class MergeCommandTest {
    @TempDir
    Path dir;

    private static Set<String> names(Path file) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return new TreeSet<>(f.names());
        }
    }

    private static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tol * (1 + Math.abs(expected[i])), "index " + i);
    }

    @Test
    void aMergedClassifierComputesBasePlusAdapterAndCarriesTheTrainedHead() throws Exception {
        Path base = LoraFixtures.bertClassifier(dir.resolve("base"), 1), adapter = dir.resolve("adapter"), out = dir.resolve("merged");
        TokenBatch batch = LoraFixtures.tokens(3, 6, 40, 2);
        float[] adapted, head;
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 8));
            LoraFixtures.randomise(a, 3);
            adapted = LoraFixtures.logits(m, batch);
            head = m.classifier().output().weight.data().clone();
            PeftAdapter.save(adapter, m, a);
        }
        ModelCommandsTest.Run r = ModelCommandsTest.run("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = r.jsonLines().getFirst();
        assertEquals(4, o.path("r").asInt());
        assertEquals(2 * 6 + 1, o.path("merged_modules").asInt(), "q, k, v, attention/intermediate/output dense per layer, and the pooler");
        assertEquals("classifier", o.path("modules_to_save").path(0).asText());
        assertEquals("F32", o.path("dtype").asText());

        Set<String> baseNames = names(base.resolve("model.safetensors"));
        baseNames.remove("bert.embeddings.position_ids");
        assertEquals(baseNames, names(out.resolve("model.safetensors")), "a plain checkpoint under the base's names");
        try (PretrainedModel merged = LoraFixtures.load(out)) {
            assertEquals("BertForSequenceClassification", merged.hfConfig().architecture());
            assertClose(adapted, LoraFixtures.logits(merged, batch), 1e-4);
            assertArrayEquals(head, merged.classifier().output().weight.value().toHeap().data(), "the trained head is the model's own");
        }
    }

    @Test
    void aMergedGpt2FoldsTheFusedAdapterIntoConv1DWeights() throws Exception {
        Path base = LoraFixtures.folder(dir.resolve("base"), "gpt2", Map.of(), 4), adapter = dir.resolve("adapter"), out = dir.resolve("merged");
        TokenBatch batch = LoraFixtures.tokens(2, 8, 101, 5);
        float[] adapted;
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 16));
            LoraFixtures.randomise(a, 6);
            adapted = LoraFixtures.logits(m, batch);
            PeftAdapter.save(adapter, m, a);
        }
        ModelCommandsTest.Run r = ModelCommandsTest.run("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("merged " + adapter + " (r=4, 8 modules) into " + base), r.out());
        try (PretrainedModel merged = LoraFixtures.load(out)) {
            assertArrayEquals(new int[] {48, 144}, merged.weights().get("transformer.h.0.attn.c_attn.weight").shape(), "Conv1D layout [in, 3·out]");
            assertClose(adapted, LoraFixtures.logits(merged, batch), 1e-4);
        }

        Path bf16 = dir.resolve("merged-bf16");
        r = ModelCommandsTest.run("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", bf16.toString(), "--dtype", "bf16");
        assertEquals(0, r.code(), r.err());
        try (PretrainedModel merged = LoraFixtures.load(bf16)) {
            assertEquals(Map.of("BF16", merged.storedDtypes().size()), merged.dtypeCounts());
            float[] logits = LoraFixtures.logits(merged, batch);
            double diff = 0, scale = 0;
            for (int i = 0; i < adapted.length; i++) {
                diff = Math.max(diff, Math.abs(adapted[i] - logits[i]));
                scale = Math.max(scale, Math.abs(adapted[i]));
            }
            assertTrue(diff <= 0.05 * scale, "bf16 weights: logits within bf16 rounding, max diff " + diff + " of " + scale);
        }
    }

    @Test
    void aMissingOrMismatchedAdapterIsOneLineNamingTheProblem() throws Exception {
        Path base = LoraFixtures.folder(dir.resolve("base"), "llama", Map.of(), 7);
        Files.createDirectories(dir.resolve("nothing"));
        ModelCommandsTest.Run r = ModelCommandsTest.run("merge", "--model", base.toString(), "--adapter", dir.resolve("nothing").toString(), "--out", dir.resolve("o1").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("tune4j: ") && r.err().contains("adapter_config.json") && r.err().strip().lines().count() == 1, r.err());

        Path gpt2 = LoraFixtures.folder(dir.resolve("gpt2"), "gpt2", Map.of(), 8), adapter = dir.resolve("gpt2-adapter");
        try (PretrainedModel m = LoraFixtures.load(gpt2)) {
            PeftAdapter.save(adapter, m, Lora.inject(m, LoraConfig.of(2, 2)));
        }
        r = ModelCommandsTest.run("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", dir.resolve("o2").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("'c_attn'") && r.err().contains("q_proj"), r.err());
        assertFalse(Files.exists(dir.resolve("o2")), "nothing is written");
    }
}
