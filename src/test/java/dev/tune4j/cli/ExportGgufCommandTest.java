package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.io.gguf.GgufBack;
import dev.tune4j.io.gguf.GgufExportTest;
import dev.tune4j.io.gguf.GgufFile;
import dev.tune4j.io.gguf.TinyBpe;
import dev.tune4j.io.peft.PeftAdapter;
import dev.tune4j.model.Lora;
import dev.tune4j.model.LoraAdapters;
import dev.tune4j.model.LoraFixtures;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.LoraConfig;
import dev.tune4j.nn.TokenBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** `tune4j export --format gguf`: a model with its LoRA adapter merged, as one GGUF file and an Ollama Modelfile. */
class ExportGgufCommandTest {
    @TempDir
    Path dir;

    @Test
    void anAdapterIsMergedIntoTheGgufAndAModelfileWrittenBesideIt() throws Exception {
        Path base = GgufExportTest.tinyModel(dir.resolve("base"), "qwen2", TinyBpe.Pre.QWEN2, 8), adapter = dir.resolve("adapter");
        TokenBatch batch = TokenBatch.of(GgufExportTest.PROMPT, 1, GgufExportTest.PROMPT.length);
        float[] adapted;
        try (PretrainedModel m = LoraFixtures.load(base)) {
            LoraAdapters a = Lora.inject(m, LoraConfig.of(4, 8));
            LoraFixtures.randomise(a, 3);
            adapted = m.model().logits(batch).data().clone();
            PeftAdapter.save(adapter, m, a);
        }
        Path out = dir.resolve("ollama/tiny.gguf");
        ModelCommandsTest.Run r = ModelCommandsTest.run("export", "--model", base.toString(), "--adapter", adapter.toString(), "--format", "gguf",
                "--dtype", "f32", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = r.jsonLines().getFirst();
        assertEquals("qwen2", o.path("architecture").asText());
        assertEquals("f32", o.path("dtype").asText());
        assertEquals("qwen2", o.path("tokenizer_pre").asText());
        assertEquals("ChatML", o.path("template_format").asText());
        assertEquals(Files.size(out), o.path("bytes").asLong());
        try (GgufFile f = GgufFile.open(out)) {
            float[] exported = GgufBack.load(f).logits(batch).data();
            double err = GgufExportTest.maxAbsDiff(adapted, exported);
            assertTrue(err < 1e-4, "the GGUF computes base + adapter: max difference " + err);
            assertEquals("base", f.require("general.name").asString());
        }
        String modelfile = Files.readString(out.resolveSibling("Modelfile"));
        assertTrue(modelfile.contains("FROM ./tiny.gguf\n"), modelfile);
        assertTrue(modelfile.contains("SYSTEM \"\"\"You are a tiny test model.\"\"\""), modelfile);
    }

    @Test
    void ggufExportSaysWhatItCannotDo() throws Exception {
        Path llama = GgufExportTest.tinyModel(dir.resolve("llama"), "llama", TinyBpe.Pre.SMOLLM, 1);
        ModelCommandsTest.Run folder = ModelCommandsTest.run("export", "--model", llama.toString(), "--format", "gguf", "--out", dir.resolve("x").toString());
        assertNotEquals(0, folder.code());
        assertTrue(folder.err().contains("ending in .gguf"), folder.err());
        ModelCommandsTest.Run q8 = ModelCommandsTest.run("export", "--model", llama.toString(), "--dtype", "q8_0", "--out", dir.resolve("hf").toString());
        assertTrue(q8.err().contains("q8_0 is for export --format gguf"), q8.err());
        Path gpt2 = LoraFixtures.folder(dir.resolve("gpt2"), "gpt2", Map.of(), 2);
        ModelCommandsTest.Run other = ModelCommandsTest.run("export", "--model", gpt2.toString(), "--format", "gguf", "--out", dir.resolve("g.gguf").toString());
        assertNotEquals(0, other.code());
        assertTrue(other.err().contains("supports the Llama family"), other.err());
        assertFalse(Files.exists(dir.resolve("g.gguf")));
    }
}
